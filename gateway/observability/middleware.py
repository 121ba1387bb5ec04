"""The HTTP edge of observability: a request id per request, bound sinks, one log line.

Pure ASGI (no BaseHTTPMiddleware) so the context variables it sets are the ones the GraphQL
execution, its DataLoader batches and the provider wire see.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.observability import hooks
from gateway.observability.metrics import Metrics
from gateway.observability.stats import RequestStats
from gateway.observability.tracing import Tracing

log = logging.getLogger("gateway.access")

#: A caller's own request id is kept when it is short and plain (a proxy's, a trace's).
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
HEADER = "x-request-id"
#: Probes and scrapes log at DEBUG: they would drown the lines that matter.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


class ObservabilityMiddleware:
    """Binds an `Observation` (request id, metrics, this request's stats, tracer) per request,
    returns the id as `X-Request-Id`, and logs one line per HTTP request."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics | None = None, tracing: Tracing | None = None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and self.metrics is not None:
            self.metrics.request_started()
        given = _header(scope, HEADER)
        request_id = given if given and _CLIENT_ID.match(given) else hooks.new_request_id()
        stats = RequestStats()
        sinks: list[Any] = [stats] if self.metrics is None else [self.metrics, stats]
        observation = hooks.Observation(
            request_id=request_id,
            sinks=sinks,
            tracer=self.tracing.tracer if self.tracing else None,
            stats=stats,
        )
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        token = None
        if self.tracing is not None:
            carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            token = self.tracing.attach_remote_parent(carrier)
        start = time.perf_counter()
        try:
            with hooks.bind(observation):
                await self.app(scope, receive, send_with_id)
        finally:
            if token is not None:
                Tracing.detach(token)
            if scope["type"] == "http":
                quiet = scope.get("path") in QUIET_PATHS
                with hooks.bind(observation):
                    log.log(
                        logging.DEBUG if quiet else logging.INFO,
                        "%s %s %s",
                        scope.get("method", "-"),
                        scope.get("path", "-"),
                        status,
                        extra={
                            "method": scope.get("method"),
                            "path": scope.get("path"),
                            "status": status,
                            "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                            "upstream_calls": stats.total_calls,
                        },
                    )
