"""The Starlette app: /graphql (with GraphiQL when enabled), /healthz and /readyz.

Provider clients open in the app's lifespan and close with it, so a process never leaks
connections to three clouds.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from gateway.auth import ANONYMOUS, Authenticator, Principal, credential_from_payload
from gateway.config import Settings
from gateway.loaders import Upstream
from gateway.middleware import PRINCIPAL_KEY, GraphQLGate
from gateway.providers.base import GatewayError
from gateway.quota import MemoryQueryQuota, QueryQuota
from gateway.schema import build_schema
from gateway.schema.context import Context

#: A WebSocket before `connection_init` has proved who it is: no sources at all.
_NOBODY = Principal("unauthenticated", frozenset(), "none")

log = logging.getLogger("gateway")


class GatewayGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our per-request context and a fast JSON encoder."""

    def __init__(
        self,
        upstream: Upstream,
        settings: Settings,
        authenticator: Authenticator | None = None,
        quota: QueryQuota | None = None,
    ) -> None:
        super().__init__(
            build_schema(introspection=settings.graphql.introspection),
            graphql_ide="graphiql" if settings.graphql.playground else None,
        )
        self.upstream = upstream
        self.authenticator = authenticator or Authenticator(settings.auth)
        self.quota = quota

    async def get_context(self, request: Any, response: Any) -> Context:
        scope = getattr(request, "scope", {})
        default = _NOBODY if self.authenticator.required else ANONYMOUS
        principal = scope.get(PRINCIPAL_KEY, default)
        return Context.for_request(self.upstream, request, principal, self.quota)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws: the credential is in `connection_init`'s payload; a bad one
        closes the socket with 4403 before any operation runs."""
        unset: UnsetType = UNSET
        if not self.authenticator.required:
            return unset
        params = context.connection_params
        try:
            principal = await self.authenticator.authenticate(
                credential_from_payload(params if isinstance(params, dict) else {})
            )
        except GatewayError as exc:
            raise ConnectionRejectionError(
                {"message": exc.message, "extensions": {"code": exc.code.value}}
            ) from None
        context.authenticate(principal)
        return unset

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_app(settings: Settings, upstream: Upstream | None = None) -> Starlette:
    """The gateway for `settings`; tests may pass a prebuilt `upstream`."""
    if settings.auth.mode == "none":
        log.warning(
            'AUTH IS OFF ([auth] mode = "none"): anyone who reaches this port reads every '
            "configured source. Use it for demos and local work only."
        )
    up = upstream or Upstream.from_settings(settings)
    authenticator = Authenticator(settings.auth)
    graphql = GatewayGraphQL(up, settings, authenticator, MemoryQueryQuota())

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        # Last-known states from the breakers and the last calls: never an upstream call.
        states = up.guards.states()
        sources = {
            s.name: {"provider": s.provider.value, "state": states.get(s.name, "unknown")}
            for s in settings.sources
        }
        return JSONResponse({"status": "ready", "sources": sources})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await up.aclose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
        middleware=[
            # Outermost, so preflights are answered and refusals still carry CORS headers.
            Middleware(
                CORSMiddleware,
                allow_origins=settings.graphql.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-api-key"],
                max_age=600,
            ),
            Middleware(
                GraphQLGate,
                authenticator=authenticator,
                max_body_bytes=settings.graphql.max_body_bytes,
                ide_enabled=settings.graphql.playground,
            ),
        ],
    )
    app.state.upstream = up
    app.state.settings = settings
    return app
