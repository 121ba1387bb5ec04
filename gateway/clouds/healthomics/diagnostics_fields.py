"""The diagnostics fields of HealthOmicsTask, HealthOmicsRun and HealthOmicsBatch, as resolvers.

graph.py attaches each with one line (`strawberry.field(resolver=…)`); `root` is the object.
Cost needs a settled run: its manifest stream is written when the run ends. A task's run uuid
comes from GetRun; a batch's from ListRunsInBatch (`runInternalUuid`), so a batch costs no
GetRun at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.clouds.healthomics import diagnostics as diag
from gateway.clouds.healthomics.cost import Manifest
from gateway.clouds.healthomics.cost_types import (
    HealthOmicsBatchCost,
    HealthOmicsRecommendation,
    HealthOmicsRunCost,
    HealthOmicsStorageUsage,
    HealthOmicsTaskCost,
    HealthOmicsTaskUsage,
)
from gateway.clouds.healthomics.loaders import load_run
from gateway.clouds.healthomics.logs import task_stream
from gateway.clouds.healthomics.provider import HealthOmicsProvider
from gateway.clouds.healthomics.states import STATES
from gateway.graph.context import Info
from gateway.graph.logs import LogLineConnection
from gateway.graph.relay import PageArgs, relay

NOT_SETTLED = "the run has not settled: its cost is known once it ends"
#: Upstream calls the cost estimate counts for these fields (worst cases, cold):
#: one log tail; GetRun + a manifest (a page and its end); + its storage and instance prices;
#: a batch's ListRunsInBatch pages and a manifest per run (up to 100) and its prices.
#: The field metadata key policy/cost.py reads (CALLS_METADATA; the graph cannot import policy).
CALLS = "gateway_calls"
EXCERPT_CALLS = 1
TASK_FIGURE_CALLS = 3
RUN_COST_CALLS = 6
BATCH_COST_CALLS = 1 + 2 * 100 + 8


# -- logs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilters:
    """`since`/`until` bound the events' times; `contains` is matched as one phrase."""

    since: datetime | None = None
    until: datetime | None = None
    contains: str | None = None


def _log_field(
    stream_of: Callable[[Any], str], settled_of: Callable[[Any], bool]
) -> Callable[..., Awaitable[LogLineConnection | None]]:
    """A log connection field over the stream `stream_of` names for the object."""

    @relay(filters=LogFilters)
    async def resolve(
        root: Any, info: Info, *, page: PageArgs, filters: LogFilters
    ) -> LogLineConnection | None:
        return await diag.log_lines(
            info,
            root.source,
            stream_of(root),
            page,
            settled=settled_of(root),
            since=filters.since,
            until=filters.until,
            contains=filters.contains,
        )

    return resolve


#: The task's log (`run/{runId}/task/{taskId}`), the engine's (`run/{runId}/engine`) and the
#: run's own (`run/{runId}`).
task_logs = _log_field(
    lambda t: task_stream(t.run_id, t.native_id), lambda t: STATES.task_settled(t.status)
)
engine_log = _log_field(
    lambda r: f"run/{r.native_id}/engine", lambda r: STATES.run_settled(r.status)
)
run_log = _log_field(lambda r: f"run/{r.native_id}", lambda r: STATES.run_settled(r.status))


async def error_excerpt(root: Any, info: Info) -> list[str] | None:
    """A failed task's last error lines (or its last 20); null for other tasks."""
    if root.status != "FAILED":
        return None
    return await diag.error_excerpt(info, root.source, root.run_id, root.native_id)


# -- a task's figures ---------------------------------------------------------------------------


async def _task_record(root: Any, info: Info) -> dict[str, Any] | None:
    run = await load_run(info, root.source, root.run_id)
    if not STATES.run_settled(run.get("status")) or not run.get("uuid"):
        return None
    found = await diag.manifest(info, root.source, root.run_id, str(run["uuid"]))
    return None if found is None else found.tasks.get(root.native_id)


async def task_usage(root: Any, info: Info) -> HealthOmicsTaskUsage | None:
    """Reserved and used resources; null until the run has settled."""
    record = await _task_record(root, info)
    return None if record is None else HealthOmicsTaskUsage(**diag.usage(record))


async def task_cost(root: Any, info: Info) -> HealthOmicsTaskCost | None:
    """The task's estimated compute cost; null until the run has settled."""
    record = await _task_record(root, info)
    if record is None:
        return None
    return HealthOmicsTaskCost(**await diag.task_cost(info, root.source, record))


async def task_recommendation(
    root: Any, info: Info, headroom: float = 0.1
) -> HealthOmicsRecommendation | None:
    """Right-sizing with `headroom` (0..1) above the task's peaks; null until settled."""
    if not 0.0 <= headroom <= 1.0:
        from gateway.errors import bad_input

        raise bad_input("`headroom` must be between 0 and 1")
    record = await _task_record(root, info)
    if record is None:
        return None
    return HealthOmicsRecommendation(
        **await diag.recommendation(info, root.source, record, headroom)
    )


# -- runs and batches ---------------------------------------------------------------------------


def _run_cost(figures: dict[str, Any]) -> HealthOmicsRunCost:
    storage = figures.pop("storage")
    return HealthOmicsRunCost(**figures, storage=HealthOmicsStorageUsage(**storage))


def _unsettled(reason: str) -> HealthOmicsRunCost:
    return HealthOmicsRunCost(
        compute_usd=None,
        storage_usd=None,
        total_usd=None,
        complete=False,
        price_sources=[],
        storage=None,
        reason=reason,
    )


async def run_cost(root: Any, info: Info) -> HealthOmicsRunCost | None:
    """Compute + storage of a settled run; figures null (with `reason`) before that."""
    if not STATES.run_settled(root.status):
        return _unsettled(NOT_SETTLED)
    run_uuid = root.uuid if isinstance(getattr(root, "uuid", None), str) else None
    if run_uuid is None:
        run_uuid = (await load_run(info, root.source, root.native_id)).get("uuid")
    found = await diag.manifest(info, root.source, root.native_id, str(run_uuid))
    if found is None:
        return _unsettled("the run's manifest has not been written (yet)")
    return _run_cost(await diag.run_cost(info, root.source, found))


async def batch_cost(root: Any, info: Info) -> HealthOmicsBatchCost | None:
    """The sum over the batch's runs that have a manifest; the others are counted apart."""
    p = info.context.upstream.provider_as(root.source, HealthOmicsProvider)
    listing = p.runs_in_batch(root.native_id)
    items = await info.context.loaders.walk_all(p, listing, STATES.batch_settled(root.status))
    pairs = [
        (str(i["runId"]), str(i["runInternalUuid"]))
        for i in items
        if i.get("runId") and i.get("runInternalUuid")
    ]
    found: list[Manifest | None] = list(
        await asyncio.gather(*(diag.manifest(info, root.source, r, u) for r, u in pairs))
    )
    costs = await asyncio.gather(
        *(diag.run_cost(info, root.source, m) for m in found if m is not None)
    )
    compute = sum(c["compute_usd"] for c in costs)
    storage = sum(c["storage_usd"] or 0.0 for c in costs)
    missing = sum(1 for m in found if m is None)
    return HealthOmicsBatchCost(
        compute_usd=compute,
        storage_usd=storage,
        total_usd=compute + storage,
        complete=missing == 0 and all(c["complete"] for c in costs),
        runs_counted=len(costs),
        runs_without_cost=missing,
        price_sources=sorted({s for c in costs for s in c["price_sources"]}),
    )
