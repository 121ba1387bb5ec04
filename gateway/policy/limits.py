"""Limits before execution, the per-query upstream budget, and one audit line per operation.

Order: tokens are capped while parsing (graphql-core's `max_tokens`, what Strawberry's
MaxTokensLimiter sets); before validation the document's depth, aliases, nodes and upstream
calls are estimated (gateway/schema/cost.py) and a document over any budget is refused with
QUERY_TOO_COSTLY and its estimate — validation itself is skipped, since graphql-core's overlap
rule is what an amplified document makes slow; after validation the client's quota is charged;
execution runs under a `CallBudget` whose deadline fails late upstream calls fast.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache

from gateway.config import Settings
from gateway.errors import ErrorCode
from gateway.graph.context import Cost
from gateway.guards import call_budget
from gateway.policy.audit import audit
from gateway.policy.cost import estimate
from gateway.security.quota import Allowance

log = logging.getLogger(__name__)


def too_costly(message: str, cost: Cost | None, limits: dict[str, int]) -> GraphQLError:
    extensions: dict[str, Any] = {"code": ErrorCode.QUERY_TOO_COSTLY.value, "limits": limits}
    if cost is not None:
        extensions["estimate"] = cost.as_dict()
    return GraphQLError(message, extensions=extensions)


def over_budget(cost: Cost, settings: Settings) -> GraphQLError | None:
    g = settings.graphql
    checks = [
        ("depth", cost.depth, g.max_depth),
        ("aliases", cost.aliases, g.max_aliases),
        ("nodes", cost.nodes, g.max_nodes),
        ("upstreamCalls", cost.calls, g.max_upstream_calls),
    ]
    over = [(name, value, limit) for name, value, limit in checks if value > limit]
    if not over:
        return None
    what = ", ".join(f"{name} {value} > {limit}" for name, value, limit in over)
    limits = {name: limit for name, _, limit in checks}
    return too_costly(f"query is over budget: {what}", cost, limits)


class QueryGuard(SchemaExtension):
    """Enforces `[graphql]` limits and `[limits]` quotas, opens the call budget, audits."""

    def _settings(self) -> Settings | None:
        upstream = getattr(self.execution_context.context, "upstream", None)
        return getattr(upstream, "settings", None)

    def on_operation(self) -> Iterator[None]:
        settings = self._settings()
        if settings is not None:
            self.execution_context.parse_options["max_tokens"] = settings.graphql.max_tokens
        yield
        context = self.execution_context.context
        if settings is not None and hasattr(context, "principal"):
            audit(self.execution_context)

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        settings = self._settings()
        if settings is not None and ec.graphql_document is not None:
            cost = estimate(ec.schema._schema, ec.graphql_document, ec.operation_name, ec.variables)
            ec.context.cost = cost
            error = over_budget(cost, settings)
            if error is not None:
                ec.pre_execution_errors = [error]  # skips validation: see the module doc
        yield

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        context = ec.context
        settings = self._settings()
        if settings is None:
            yield
            return
        refused = charge_quota(context, settings)
        if refused is not None:
            ec.result = GraphQLExecutionResult(data=None, errors=[refused])
            yield
            return
        with call_budget(settings.limits.query_deadline_seconds) as budget:
            context.budget = budget
            yield


def charge_quota(context: Any, settings: Settings, calls: int | None = None) -> GraphQLError | None:
    """Take one query (and its cost points: estimated upstream calls, at least 1) from the
    client's quota; THROTTLED when spent. Kept answers are charged too (`calls` = 0)."""
    quota = getattr(context, "quota", None)
    if quota is None:
        return None
    limits = settings.limits
    allowances: list[Allowance] = []
    amounts: list[float] = []
    if limits.queries_per_minute:
        allowances.append(Allowance(limits.queries_per_minute, 60.0))
        amounts.append(1.0)
    if limits.cost_points_per_hour:
        allowances.append(Allowance(limits.cost_points_per_hour, 3600.0))
        if calls is None:
            cost: Cost | None = context.cost
            calls = cost.calls if cost else 1
        amounts.append(float(max(1, calls)))
    if not allowances:
        return None
    wait = quota.take(f"{context.principal.kind}:{context.principal.subject}", allowances, amounts)
    if wait <= 0:
        return None
    return GraphQLError(
        "this client's query quota is spent; retry later",
        extensions={"code": ErrorCode.THROTTLED.value, "retryAfterSeconds": round(wait, 3)},
    )


class GuardedValidationCache(ValidationCache):
    """Strawberry's validation cache, skipped for a document the guard already refused."""

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors:
            yield
            return
        yield from super().on_validate()


class GuardedParserCache(ParserCache):
    """Strawberry's parser cache, except that a document that fails to parse is left to
    Strawberry's own parse step, which turns the error into a result the error policy and the
    audit see (raised from this hook it would bypass both)."""

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        try:
            ec.graphql_document = self.cached_parse_document(ec.query, **ec.parse_options)
        except GraphQLError:
            ec.graphql_document = None
        yield
