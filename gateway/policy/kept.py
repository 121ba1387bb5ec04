"""Whole answers served from and kept in the app's `ResponseCache` (gateway/cache/responses.py).

A kept answer costs no upstream call, but it is still one of the client's queries: charged at
its estimate, audited and counted in the metrics like an executed one, under the name its
operation ran as (the document's, when the request sent no `operationName`).
"""

from __future__ import annotations

import time

from strawberry.types import ExecutionResult

from gateway.cache.responses import KeptAnswer, ResponseCache
from gateway.config import Settings
from gateway.graph.context import Context
from gateway.observability import hooks
from gateway.policy.audit import audit_kept
from gateway.policy.limits import charge_quota
from gateway.policy.telemetry import error_codes


def answer_kept(
    kept: KeptAnswer, context: Context, settings: Settings, requested: str | None
) -> ExecutionResult:
    """The kept answer as this request's result, or THROTTLED when the client's quota is spent."""
    started = time.perf_counter()
    name = kept.operation or requested
    refused = charge_quota(context, settings, calls=kept.estimate)
    if refused is not None:
        hooks.operation(name, "error", error_codes([refused]), None)
        return ExecutionResult(data=None, errors=[refused])
    audit_kept(context, name, kept.sources, kept.estimate)
    data, extensions = kept.decode()
    hooks.operation(name, "success", [], time.perf_counter() - started)
    return ExecutionResult(data=data, errors=None, extensions=extensions)


def keep_answer(
    responses: ResponseCache,
    key: str,
    result: ExecutionResult,
    context: Context,
    requested: str | None,
    max_ttl: float,
) -> None:
    """Keep a clean answer until the first upstream result in it expires (at most `max_ttl`)."""
    if result.errors or result.data is None:
        return
    expires = min(context.loaders.expires_at, time.monotonic() + max_ttl)
    estimate = context.cost.calls if context.cost is not None else 1
    sources = sorted(context.budget.calls) if context.budget is not None else []
    responses.keep(
        key,
        result.data,
        result.extensions,
        estimate,
        sources,
        expires,
        context.operation or requested,
    )
