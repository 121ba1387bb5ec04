"""The Starlette app: /graphql (HTTP and WebSocket, GraphiQL when enabled), /healthz, /readyz.

Provider clients open in the app's lifespan and close with it, so a process never leaks
connections to three clouds.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types import ExecutionResult

from gateway.cache.responses import ResponseCache, response_key
from gateway.config import Settings
from gateway.ide.page import VENDOR_ROUTE, assets_dir, graphiql_page
from gateway.live.hub import Hub
from gateway.loaders import Upstream
from gateway.schema import build_schema
from gateway.schema.context import Context

log = logging.getLogger("gateway")


class _TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws speaks text frames; browsers' graphql-ws rejects binary ones, which
    Strawberry would send because our `encode_json` returns bytes."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GatewayGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our per-request context and a fast JSON encoder."""

    websocket_adapter_class = _TextFrames

    def __init__(self, upstream: Upstream, settings: Settings) -> None:
        super().__init__(
            build_schema(introspection=settings.graphql.introspection),
            graphql_ide="graphiql" if settings.graphql.playground else None,
        )
        self.upstream = upstream
        self.settings = settings
        live = settings.subscriptions
        self.hub = Hub(live.poll_interval_seconds, live.max_interval_seconds)
        cfg = settings.cache
        self.responses = ResponseCache(cfg.responses_max_entries, cfg.responses_max_bytes)
        self._max_response_ttl = cfg.settled_ttl_seconds

    async def get_context(self, request: Any, response: Any) -> Context:
        context = Context.for_request(self.upstream, request)
        context.hub = self.hub
        return context

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our own offline GraphiQL page instead of Strawberry's CDN-loaded one."""
        return graphiql_page(self.settings)

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
            await graphql.hub.aclose()
            await up.aclose()

    routes: list[Any] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),  # subscriptions: graphql-transport-ws
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    if settings.graphql.playground:
        vendor = StaticFiles(directory=assets_dir(settings), check_dir=False)
        routes.append(Mount(VENDOR_ROUTE, vendor, name="graphiql-vendor"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.upstream = up
    app.state.graphql = graphql
    app.state.settings = settings
    app.state.hub = graphql.hub
    return app
