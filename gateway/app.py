"""The Starlette app: /graphql (with GraphiQL when enabled), /healthz, /readyz and /metrics.

Provider clients open in the app's lifespan and close with it, so a process never leaks
connections to three clouds.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from gateway.config import Settings
from gateway.loaders import Upstream
from gateway.observability import hooks
from gateway.observability.metrics import Metrics
from gateway.observability.middleware import ObservabilityMiddleware
from gateway.observability.tracing import Tracing
from gateway.persisted import PersistedQueries, refusal
from gateway.providers.base import GatewayError
from gateway.schema import build_schema
from gateway.schema.context import Context

log = logging.getLogger("gateway")


class GatewayGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our per-request context and a fast JSON encoder."""

    def __init__(
        self, upstream: Upstream, settings: Settings, tracing: Tracing | None = None
    ) -> None:
        extra = [tracing.schema_extension()] if tracing is not None else []
        super().__init__(
            build_schema(introspection=settings.graphql.introspection, extra_extensions=extra),
            graphql_ide="graphiql" if settings.graphql.playground else None,
        )
        self.upstream = upstream
        self.persisted = PersistedQueries(settings.graphql)

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context.for_request(self.upstream, request)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET carrying only a persisted-query hash is an operation, not a browser.
        if "extensions" in request.query_params:
            return False
        return super().should_render_graphql_ide(request)

    async def execute_single(  # type: ignore[override]
        self, *, request_data: GraphQLRequestData, context: Context, **kwargs: Any
    ) -> ExecutionResult:
        """Automatic persisted queries and the allow-list, before Strawberry executes."""
        try:
            request_data = await self.persisted.apply(request_data)
        except GatewayError as exc:
            hooks.operation(request_data.operation_name, "error", [exc.code.value], None)
            return refusal(exc, context.request_id)
        return await super().execute_single(request_data=request_data, context=context, **kwargs)


def create_app(
    settings: Settings,
    upstream: Upstream | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
) -> Starlette:
    """The gateway for `settings`; tests may pass a prebuilt `upstream` or a tracer provider."""
    if settings.auth.mode == "none":
        log.warning(
            'AUTH IS OFF ([auth] mode = "none"): anyone who reaches this port reads every '
            "configured source. Use it for demos and local work only."
        )
    up = upstream or Upstream.from_settings(settings)
    obs = settings.observability
    tracing = Tracing.from_config(obs, tracer_provider)
    metrics = Metrics()
    hooks.install_default(
        hooks.Observation(request_id="-", sinks=[metrics], tracer=tracing and tracing.tracer)
    )
    graphql = GatewayGraphQL(up, settings, tracing)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        sources = {
            s.name: {"provider": s.provider.value, "state": "unknown"} for s in settings.sources
        }
        return JSONResponse({"status": "ready", "sources": sources})

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await up.aclose()
            if tracing is not None:
                tracing.shutdown()

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    if obs.metrics:
        routes.append(Route("/metrics", metrics_endpoint))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(ObservabilityMiddleware, metrics=metrics, tracing=tracing)],
    )
    app.state.upstream = up
    app.state.settings = settings
    app.state.metrics = metrics
    return app
