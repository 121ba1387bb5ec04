"""The Starlette app: /graphql (with GraphiQL when enabled), /healthz and /readyz.

Provider clients open in the app's lifespan and close with it, so a process never leaks
connections to three clouds.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from gateway.cache.responses import ResponseCache, response_key
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
        cfg = settings.cache
        self.responses = ResponseCache(cfg.responses_max_entries, cfg.responses_max_bytes)
        self._max_response_ttl = cfg.settled_ttl_seconds

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context.for_request(self.upstream, request)

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        """Serve a kept answer while every upstream result it was built from is still fresh."""
        key = None
        if request_adapter.method in ("GET", "POST"):
            key = response_key(
                request_data.query,
                request_data.operation_name,
                request_data.variables,
                getattr(request, "headers", None),
            )
        if key is not None and not context.loaders.fresh:
            kept: ExecutionResult | None = self.responses.get(key)
            if kept is not None:
                return kept
        result: ExecutionResult = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        if key is not None and not result.errors and result.data is not None:
            expires = min(context.loaders.expires_at, time.monotonic() + self._max_response_ttl)
            self.responses.put(key, result, expires, len(orjson.dumps(result.data)))
        return result

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
    app.state.graphql = graphql
    app.state.settings = settings
    return app
