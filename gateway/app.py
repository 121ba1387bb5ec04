"""The Starlette app: /graphql (HTTP, WebSocket, GraphiQL when enabled), /healthz, /readyz,
/metrics.

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
from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from gateway.cache.responses import ResponseCache, response_key
from gateway.clouds.base import Clouds
from gateway.clouds.registry import DEFAULT_CLOUDS
from gateway.config import Settings
from gateway.errors import GatewayError
from gateway.graph.context import Context
from gateway.ide.page import VENDOR_ROUTE, assets_dir, graphiql_page
from gateway.live.hub import Hub
from gateway.observability import hooks
from gateway.observability.metrics import Metrics
from gateway.observability.middleware import ObservabilityMiddleware
from gateway.observability.tracing import Tracing
from gateway.policy.audit import audit_kept, audit_refused
from gateway.policy.limits import charge_quota
from gateway.policy.persisted import CachePersistedQueryStore, PersistedQueries, refusal
from gateway.policy.telemetry import STATS_EXTENSION, STATS_HEADER, tracing_extension
from gateway.schema import build_schema
from gateway.security.auth import ANONYMOUS, Authenticator, Principal, credential_from_payload
from gateway.security.gate import PRINCIPAL_KEY, GraphQLGate
from gateway.security.quota import MemoryQueryQuota, QueryQuota
from gateway.upstream.loaders import Upstream

#: A WebSocket before `connection_init` has proved who it is: no sources at all.
_NOBODY = Principal("unauthenticated", frozenset(), "none")

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

    def __init__(
        self,
        upstream: Upstream,
        settings: Settings,
        authenticator: Authenticator | None = None,
        quota: QueryQuota | None = None,
        tracing: Tracing | None = None,
        clouds: Clouds = DEFAULT_CLOUDS,
    ) -> None:
        extra = [tracing_extension(tracing.provider)] if tracing is not None else []
        schema = build_schema(clouds, settings.graphql.introspection, extra)
        super().__init__(schema, graphql_ide="graphiql" if settings.graphql.playground else None)
        self.clouds = clouds
        self.upstream = upstream
        self.settings = settings
        live = settings.subscriptions
        self.hub = Hub(live.poll_interval_seconds, live.max_interval_seconds)
        cfg = settings.cache
        self.responses = ResponseCache(cfg.responses_max_entries, cfg.responses_max_bytes)
        self._max_response_ttl = cfg.settled_ttl_seconds
        shared = upstream.shared_backend
        self.persisted = PersistedQueries(
            settings.graphql, CachePersistedQueryStore(shared) if shared is not None else None
        )
        self.authenticator = authenticator or Authenticator(settings.auth)
        self.quota = quota

    async def get_context(self, request: Any, response: Any) -> Context:
        scope = getattr(request, "scope", {})
        default = _NOBODY if self.authenticator.required else ANONYMOUS
        principal = scope.get(PRINCIPAL_KEY, default)
        context = Context.for_request(self.upstream, request, principal, self.quota)
        context.hub = self.hub
        return context

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our own offline GraphiQL page instead of Strawberry's CDN-loaded one."""
        return graphiql_page(self.settings, self.clouds)

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

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET carrying only a persisted-query hash is an operation, not a browser.
        if "extensions" in request.query_params:
            return False
        return super().should_render_graphql_ide(request)

    async def execute_single(  # type: ignore[override]
        self,
        *,
        request: Any,
        request_adapter: Any,
        request_data: GraphQLRequestData,
        context: Context,
        **kwargs: Any,
    ) -> ExecutionResult:
        """Persisted queries first; then a kept answer while every upstream result it was built
        from is still fresh; else Strawberry executes (and a clean answer is kept)."""
        try:
            request_data = await self.persisted.apply(request_data)
        except GatewayError as exc:
            hooks.operation(request_data.operation_name, "error", [exc.code.value], None)
            return refusal(exc, context.request_id)
        key = None
        if request_adapter.method in ("GET", "POST") and not _wants_stats(request, request_data):
            key = response_key(
                request_data.query,
                request_data.operation_name,
                request_data.variables,
                getattr(request, "headers", None),
            )
        if key is not None and not context.loaders.fresh:
            kept: tuple[ExecutionResult, int, list[str]] | None = self.responses.get(key)
            if kept is not None:
                # A kept answer costs no upstream call, but it is still one of the client's
                # queries, charged at its estimate and audited like any other.
                answer, estimate, sources = kept
                refused = charge_quota(context, self.settings, calls=estimate)
                if refused is not None:
                    return ExecutionResult(data=None, errors=[refused])
                audit_kept(context, request_data.operation_name, sources, estimate)
                return answer
        result: ExecutionResult = await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            **kwargs,
        )
        if key is not None and not result.errors and result.data is not None:
            expires = min(context.loaders.expires_at, time.monotonic() + self._max_response_ttl)
            estimate = context.cost.calls if context.cost is not None else 1
            sources = sorted(context.budget.calls) if context.budget is not None else []
            size = len(orjson.dumps(result.data))
            self.responses.put(key, (result, estimate, sources), expires, size)
        return result


def _wants_stats(request: Any, request_data: GraphQLRequestData) -> bool:
    """A client measuring what a query costs upstream must not be answered from kept answers."""
    if (request_data.extensions or {}).get(STATS_EXTENSION) is True:
        return True
    headers = getattr(request, "headers", None) or {}
    return bool(headers.get(STATS_HEADER))


def create_app(
    settings: Settings,
    upstream: Upstream | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    clouds: Clouds = DEFAULT_CLOUDS,
) -> Starlette:
    """The gateway for `settings` over the registry's `clouds`; tests may pass a prebuilt
    `upstream`, a tracer provider, or a registry with a cloud of their own."""
    clouds.validate(settings)
    if settings.auth.mode == "none":
        log.warning(
            'AUTH IS OFF ([auth] mode = "none"): anyone who reaches this port reads every '
            "configured source. Use it for demos and local work only."
        )
    up = upstream or Upstream.from_settings(settings, clouds)
    obs = settings.observability
    tracing = Tracing.from_config(obs, tracer_provider)
    metrics = Metrics()
    hooks.install_default(
        hooks.Observation(request_id="-", sinks=[metrics], tracer=tracing and tracing.tracer)
    )
    authenticator = Authenticator(settings.auth)
    graphql = GatewayGraphQL(up, settings, authenticator, MemoryQueryQuota(), tracing, clouds)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        # Last-known states from the breakers and the last calls: never an upstream call.
        states = up.guards.states()
        sources = {
            s.name: {"provider": s.provider, "state": states.get(s.name, "unknown")}
            for s in settings.sources
        }
        return JSONResponse({"status": "ready", "sources": sources})

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await graphql.hub.aclose()
            await up.aclose()
            if tracing is not None:
                tracing.shutdown()

    routes: list[Any] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),  # subscriptions: graphql-transport-ws
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    if obs.metrics:
        routes.append(Route("/metrics", metrics_endpoint))
    if settings.graphql.playground:
        vendor = StaticFiles(directory=assets_dir(settings), check_dir=False)
        routes.append(Mount(VENDOR_ROUTE, vendor, name="graphiql-vendor"))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            # Outermost, so preflights are answered and refusals still carry CORS headers.
            Middleware(
                CORSMiddleware,
                allow_origins=settings.graphql.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=[
                    "authorization",
                    "content-type",
                    "x-api-key",
                    "cache-control",
                    "x-upstream-stats",
                ],
                expose_headers=["x-request-id"],
                max_age=600,
            ),
            Middleware(ObservabilityMiddleware, metrics=metrics, tracing=tracing),
            Middleware(
                GraphQLGate,
                authenticator=authenticator,
                max_body_bytes=settings.graphql.max_body_bytes,
                ide_enabled=settings.graphql.playground,
                on_refused=audit_refused,
            ),
        ],
    )
    app.state.upstream = up
    app.state.graphql = graphql
    app.state.settings = settings
    app.state.hub = graphql.hub
    app.state.metrics = metrics
    return app
