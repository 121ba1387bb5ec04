"""Per-operation telemetry: counts each operation by name and outcome and its errors by code,
and answers `extensions.upstream` (what the query cost upstream) when the client asks.

It defines no resolver hook, so it costs nothing per field.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from strawberry.extensions import SchemaExtension
from strawberry.extensions.tracing import OpenTelemetryExtension

from gateway.observability import hooks
from gateway.policy.incremental import initial

STATS_HEADER = "x-upstream-stats"
STATS_EXTENSION = "upstreamStats"


def tracing_extension(provider: TracerProvider) -> Any:
    """A factory for Strawberry's OpenTelemetry extension bound to the gateway's provider."""
    return functools.partial(OpenTelemetryExtension, tracer_provider=provider)


def outcome_of(data: object, errors: list[Any] | None) -> str:
    """success (no errors), partial (data and errors) or error (no data)."""
    if not errors:
        return "success"
    return "partial" if data is not None else "error"


def error_codes(errors: list[Any] | None) -> list[str]:
    return [str((e.extensions or {}).get("code", "INTERNAL")) for e in errors or []]


class Telemetry(SchemaExtension):
    """Reports every operation to the bound sinks; listed first so it sees shaped errors."""

    def on_operation(self) -> Iterator[None]:
        start = time.perf_counter()
        yield
        ctx = self.execution_context
        result = initial(ctx.result)
        errors = list(result.errors or []) if result else list(ctx.pre_execution_errors or [])
        data = result.data if result else None
        if hasattr(ctx.context, "operation"):
            ctx.context.operation = ctx.operation_name
        hooks.operation(
            ctx.operation_name,
            outcome_of(data, errors),
            error_codes(errors),
            time.perf_counter() - start,
        )

    def get_results(self) -> dict[str, Any]:
        if not self._wants_stats():
            return {}
        stats = hooks.current().stats
        return {"upstream": stats.as_extension()} if stats is not None else {}

    def _wants_stats(self) -> bool:
        ctx = self.execution_context
        if (ctx.operation_extensions or {}).get(STATS_EXTENSION) is True:
            return True
        request = getattr(ctx.context, "request", None)
        headers = getattr(request, "headers", None) or {}
        return str(headers.get(STATS_HEADER, "")).lower() in ("1", "true")
