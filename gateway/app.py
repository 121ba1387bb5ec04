"""The Starlette app: /graphql (HTTP, WebSocket, GraphiQL when enabled), /healthz, /readyz,
/metrics.

Provider clients open in the app's lifespan and close with it, so a process never leaks
connections to three clouds.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from gateway.cache.responses import ResponseCache, response_key
from gateway.catalog.database import SchemaTooNew
from gateway.catalog.metrics import CatalogCollector
from gateway.catalog.service import Catalog
from gateway.clouds.base import Clouds
from gateway.clouds.registry import DEFAULT_CLOUDS
from gateway.config import Settings
from gateway.errors import GatewayError
from gateway.graph.context import Context
from gateway.http import SpecGraphQL
from gateway.http.operations import OneOperationOrAName
from gateway.http.websocket import TextFrames
from gateway.ide.page import VENDOR_ROUTE, assets_dir, graphiql_page
from gateway.live.events import RunRefresher
from gateway.live.sqs import EventConsumer
from gateway.live.wiring import make_hub, start_consumer, stop_consumer
from gateway.observability import hooks
from gateway.observability.metrics import Metrics
from gateway.observability.middleware import ObservabilityMiddleware
from gateway.observability.tracing import Tracing
from gateway.policy import errorlog
from gateway.policy.audit import audit_refused
from gateway.policy.incremental import is_incremental
from gateway.policy.kept import answer_kept, keep_answer
from gateway.policy.persisted import CachePersistedQueryStore, PersistedQueries, refusal
from gateway.policy.telemetry import STATS_EXTENSION, STATS_HEADER, tracing_extension
from gateway.schema import build_schema
from gateway.security.auth import ANONYMOUS, Authenticator, Principal, credential_from_payload
from gateway.security.body import JsonGuard
from gateway.security.gate import PRINCIPAL_KEY, GraphQLGate
from gateway.security.quota import MemoryQueryQuota, QueryQuota
from gateway.streaming import (
    GatewayTransportWS,
    guard_patches,
    stream_transports,
    wrap_incremental,
)
from gateway.ui import ui_routes
from gateway.upstream.loaders import Upstream

#: A WebSocket before `connection_init` has proved who it is: no sources at all.
_NOBODY = Principal("unauthenticated", frozenset(), "none")

log = logging.getLogger("gateway")


class GatewayGraphQL(SpecGraphQL):
    """Strawberry's ASGI view with our per-request context and a fast JSON encoder."""

    websocket_adapter_class = TextFrames  # type: ignore[assignment]
    graphql_transport_ws_handler_class = GatewayTransportWS

    def __init__(
        self,
        upstream: Upstream,
        settings: Settings,
        authenticator: Authenticator | None = None,
        quota: QueryQuota | None = None,
        tracing: Tracing | None = None,
        clouds: Clouds = DEFAULT_CLOUDS,
    ) -> None:
        extra: list[Any] = [OneOperationOrAName]
        if tracing is not None:
            extra.append(tracing_extension(tracing.provider))
        schema = build_schema(
            clouds, settings.graphql.introspection, extra, settings.graphql.incremental
        )
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphql.playground else None,
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_WS_PROTOCOL,
                *stream_transports(settings),
            ),
        )
        self.clouds = clouds
        self.stream_transport_classes_by_protocol = stream_transports(settings)
        self.upstream = upstream
        self.settings = settings
        self.hub = make_hub(settings, upstream.redis)
        cfg = settings.cache
        kept_bytes = min(cfg.responses_max_bytes, settings.limits.kept_answer_bytes)
        self.responses = ResponseCache(cfg.responses_max_entries, kept_bytes)
        self._max_response_ttl = cfg.settled_ttl_seconds
        shared = upstream.shared_backend
        self.persisted = PersistedQueries(
            settings.graphql,
            CachePersistedQueryStore(shared) if shared is not None else None,
            max_bytes=settings.limits.persisted_query_bytes,
        )
        self.authenticator = authenticator or Authenticator(settings.auth)
        self.quota = quota
        self.json = JsonGuard(settings.graphql.max_body_bytes, settings.graphql.max_json_depth)

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

    async def execute_operation(
        self,
        request: Any,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Any,
    ) -> Any:
        """SSE answers (and their `@defer`/`@stream` patches) under the ordinary policies."""
        if isinstance(request_data, GraphQLRequestData) and request_data.protocol == "sse":
            try:
                request_data = await self.persisted.apply(request_data)
            except GatewayError as exc:
                return refusal(exc, context.request_id)
            frames = await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
            if not isinstance(frames, AsyncIterator):  # a refusal before any execution
                return frames
            return guard_patches(frames, context, self.settings.graphql.suggestions)
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """Bodies and WebSocket messages: bounded in size and nesting, strict UTF-8."""
        return self.json.decode_for_framework(data)

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
            kept = self.responses.get(key)
            if kept is not None:
                return answer_kept(kept, context, self.settings, request_data.operation_name)
        result: ExecutionResult = await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            **kwargs,
        )
        if is_incremental(result):  # patches follow: never kept, shaped and audited as they go
            return wrap_incremental(result, context, self.settings.graphql.suggestions)  # type: ignore[no-any-return]
        if key is not None:
            name, ttl = request_data.operation_name, self._max_response_ttl
            keep_answer(self.responses, key, result, context, name, ttl)
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
    refresher: RunRefresher | None = None,
) -> Starlette:
    """The gateway for `settings` over the registry's `clouds`; tests may pass a prebuilt
    `upstream`, a tracer provider, or a registry with a cloud of their own. `refresher` (the
    run catalogue) is told of every EventBridge hint the consumer handles."""
    clouds.validate(settings)
    if settings.auth.mode == "none":
        log.warning(
            'AUTH IS OFF ([auth] mode = "none"): anyone who reaches this port reads every '
            "configured source. Use it for demos and local work only."
        )
    up = upstream or Upstream.from_settings(settings, clouds)
    errorlog.install()
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

    catalog = None
    if settings.catalog.enabled:
        catalog = Catalog(settings, up.providers, limiter=up.limiter)
        metrics.registry.register(CatalogCollector(catalog.stats))
    # EventBridge hints refresh the catalogued run too, when there is a catalogue.
    published = [c.events for c in clouds if c.events is not None]
    consumer = EventConsumer(settings, up, graphql.hub, published, refresher or catalog)
    pushed = consumer if consumer.enabled else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if catalog is not None:
            await open_catalog(catalog, up)
        pushing = start_consumer(pushed)
        # What exists once started (schema, settings, clients) lives as long as the app: frozen,
        # the collector stops walking it, so a request no longer pays for promoting it through
        # the generations (~2 ms a pass) nor a full pass over it (~100 ms). Unfrozen at exit.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            await stop_consumer(pushing)
            if catalog is not None:
                await catalog.aclose()
            await graphql.hub.aclose()
            await up.aclose()
            if tracing is not None:
                tracing.shutdown()

    routes: list[Any] = [
        # Every method reaches the view, which answers the ones it does not serve with a JSON
        # 405 (gateway/http), not Starlette's plain-text one.
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),  # subscriptions: graphql-transport-ws
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    if obs.metrics:
        routes.append(Route("/metrics", metrics_endpoint))
    if settings.graphql.playground:
        vendor = StaticFiles(directory=assets_dir(settings), check_dir=False)
        routes.append(Mount(VENDOR_ROUTE, vendor, name="graphiql-vendor"))
    if settings.ui.enabled:
        routes.extend(ui_routes())
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
                max_json_depth=settings.graphql.max_json_depth,
                ide_enabled=settings.graphql.playground,
                on_refused=audit_refused,
            ),
        ],
    )
    app.state.upstream = up
    app.state.graphql = graphql
    app.state.settings = settings
    app.state.hub = graphql.hub
    app.state.events = pushed
    app.state.metrics = metrics
    app.state.catalog = catalog
    return app


async def open_catalog(catalog: Catalog, up: Upstream) -> None:
    """Migrate and start syncing; a catalogue that cannot open leaves the gateway serving live
    fields (its own fields answer CATALOG_UNAVAILABLE) and `/readyz` unaffected."""
    try:
        await catalog.open()
    except SchemaTooNew:
        raise
    except (SQLAlchemyError, OSError) as exc:
        log.error("run catalogue unavailable: %s", exc)
        return
    up.catalog = catalog
    catalog.start()
