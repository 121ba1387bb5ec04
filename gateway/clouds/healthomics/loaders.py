"""HealthOmics loaders: one upstream call per distinct key per request, cached by state.

A batch's runs come from ListRuns(batchId) — ⌈runs/100⌉ calls for the whole batch — not one
GetRun each; GetRun, GetBatch and GetRunTask go through per-request DataLoaders.
"""

from __future__ import annotations

from gateway.clouds.healthomics.provider import HealthOmicsProvider
from gateway.clouds.healthomics.states import STATES
from gateway.graph.context import Info
from gateway.types import Page, Record
from gateway.upstream.loaders import Loaders


def _settled_batch(record: Record) -> bool:
    return STATES.batch_settled(record.get("status"))


def _settled_run(record: Record) -> bool:
    return STATES.run_settled(record.get("status"))


def _settled_task(record: Record) -> bool:
    return STATES.task_settled(record.get("status"))


async def load_batch(info: Info, source: str, batch_id: str) -> Record:
    p = info.context.upstream.provider_as(source, HealthOmicsProvider)
    loader = info.context.loaders.each(source, "GetBatch", p.get_batch, _settled_batch)
    record: Record = await loader.load(batch_id)
    return record


async def load_run(info: Info, source: str, run_id: str) -> Record:
    p = info.context.upstream.provider_as(source, HealthOmicsProvider)
    loader = info.context.loaders.each(source, "GetRun", p.get_run, _settled_run)
    record: Record = await loader.load(run_id)
    return record


async def load_task(info: Info, source: str, run_id: str, task_id: str) -> Record:
    p = info.context.upstream.provider_as(source, HealthOmicsProvider)

    async def get(key: tuple[str, str]) -> Record:
        return await p.get_run_task(*key)

    loader = info.context.loaders.each(source, "GetRunTask", get, _settled_task)
    record: Record = await loader.load((run_id, task_id))
    return record


def _settled_runs_page(page: Page) -> bool:
    return all(_settled_run(item) for item in page.items)


async def load_run_in_batch(
    info: Info, source: str, batch_id: str, run_id: str, batch_is_settled: bool = False
) -> Record:
    """A batch's run as ListRuns(batchId) lists it: ⌈runs/100⌉ calls for the whole batch.

    A page is kept long only when the batch is settled (no run joins it) and so is every run
    on the page.
    """
    loaders: Loaders = info.context.loaders
    p = info.context.upstream.provider_as(source, HealthOmicsProvider)

    async def batch_fn(keys: list[tuple[str, bool, str]]) -> list[Record | None]:
        by_batch: dict[tuple[str, bool], dict[str, Record]] = {}
        for bid, settled in {k[:2] for k in keys}:
            listing = p.runs(batch_id=bid)
            items = await loaders.walk_all(p, listing, _settled_runs_page if settled else False)
            by_batch[(bid, settled)] = {str(item["id"]): item for item in items}
        return [by_batch[(b, s)].get(r) for b, s, r in keys]

    found: Record | None = await loaders.loader(source, "ListRuns:batch", batch_fn).load(
        (batch_id, batch_is_settled, run_id)
    )
    if found is not None:
        return found
    return await load_run(info, source, run_id)  # not listed (e.g. deleted): GetRun has it
