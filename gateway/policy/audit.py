"""One audit line per operation on logger `gateway.audit`, for regulated deployments.

Who asked (key name or JWT subject), which sources were read and which were refused, the
estimated and actual upstream calls, and the outcome. One JSON object per line so log
pipelines parse it without a grammar. Never the query text, variables or any credential.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from graphql import GraphQLError
from strawberry.types import ExecutionContext

from gateway.errors import GatewayError
from gateway.policy.incremental import initial

log = logging.getLogger("gateway.audit")


def outcome(data: Any, codes: list[str]) -> str:
    if not codes:
        return "ok"
    return "rejected" if data is None else "partial"


def _code(error: GraphQLError) -> str:
    """The code the client sees, whether or not the error policy has shaped it yet."""
    original = error.original_error
    if isinstance(original, GatewayError):
        return original.code.value
    code = (error.extensions or {}).get("code")
    if code:
        return str(code)
    return "BAD_USER_INPUT" if original is None else "INTERNAL"


def audit(ec: ExecutionContext) -> None:
    context = ec.context
    result = initial(ec.result)
    errors = list(getattr(result, "errors", None) or ec.pre_execution_errors or [])
    codes = sorted({_code(e) for e in errors})
    refused = sorted(
        {
            str(e.original_error.source)
            for e in errors
            if isinstance(e.original_error, GatewayError)
            and e.original_error.code.value == "FORBIDDEN"
            and e.original_error.source
        }
    )
    budget = context.budget
    cost = context.cost
    principal = context.principal
    line = {
        "requestId": context.request_id,
        "principal": principal.subject,
        "auth": principal.kind,
        "operation": ec.operation_name,
        "sources": sorted(budget.calls) if budget is not None else [],
        "refusedSources": refused,
        "estimatedUpstreamCalls": cost.calls if cost is not None else None,
        "estimatedNodes": cost.nodes if cost is not None else None,
        "upstreamCalls": budget.total if budget is not None else 0,
        "outcome": outcome(getattr(result, "data", None), codes),
        "errorCodes": codes,
    }
    log.info(json.dumps(line, separators=(",", ":")))


def audit_kept(
    context: Any, operation: str | None, sources: list[str], estimated: int | None
) -> None:
    """An answer served from the kept answers: no upstream call, still one line."""
    principal = context.principal
    line = {
        "requestId": context.request_id,
        "principal": principal.subject,
        "auth": principal.kind,
        "operation": operation,
        "sources": sources,
        "refusedSources": [],
        "estimatedUpstreamCalls": estimated,
        "upstreamCalls": 0,
        "kept": True,
        "outcome": "ok",
        "errorCodes": [],
    }
    log.info(json.dumps(line, separators=(",", ":")))


def audit_refused(request_id: str, reason: str, code: str) -> None:
    """Requests refused before GraphQL saw them (no or bad credentials, oversized body)."""
    line: dict[str, Any] = {
        "requestId": request_id,
        "principal": None,
        "outcome": "refused",
        "reason": reason,
        "errorCodes": [code],
    }
    log.info(json.dumps(line, separators=(",", ":")))
