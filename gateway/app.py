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
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from gateway.config import Settings
from gateway.loaders import Upstream
from gateway.schema import build_schema
from gateway.schema.context import Context

log = logging.getLogger("gateway")


class GatewayGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our per-request context and a fast JSON encoder."""

    def __init__(self, upstream: Upstream, settings: Settings) -> None:
        super().__init__(
            build_schema(introspection=settings.graphql.introspection),
            graphql_ide="graphiql" if settings.graphql.playground else None,
        )
        self.upstream = upstream

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context.for_request(self.upstream, request)

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
    graphql = GatewayGraphQL(up, settings)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        sources = {
            s.name: {"provider": s.provider.value, "state": "unknown"} for s in settings.sources
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
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.state.upstream = up
    app.state.settings = settings
    return app
