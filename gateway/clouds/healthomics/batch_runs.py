"""A HealthOmics batch's runs as ListRunsInBatch pages them: the `runs` field's read, and its
opening page read ahead by `batch(id:)` beside GetBatch (see gateway/graph/prefetch.py). Ahead,
only the upstream read: the field builds the connection from that page once, when it asks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from gateway.cache.policy import Settled
from gateway.clouds.healthomics.provider import HealthOmicsProvider
from gateway.clouds.healthomics.states import STATES
from gateway.graph.context import Info
from gateway.graph.prefetch import page_args, read_ahead, selected_arguments
from gateway.graph.relay import PageArgs
from gateway.types import Listing, Record
from gateway.upstream.connection import Connection


@dataclass(frozen=True)
class BatchRunFilters:
    """ListRunsInBatch's filters (at most one of them)."""

    submission_status: str | None = None
    run_setting_id: str | None = None
    run_id: str | None = None


def _listing(
    info: Info, source: str, batch_id: str, f: BatchRunFilters
) -> tuple[HealthOmicsProvider, Listing]:
    p = info.context.upstream.provider_as(source, HealthOmicsProvider)
    return p, p.runs_in_batch(batch_id, f.submission_status, f.run_setting_id, f.run_id)


async def runs_page(
    info: Info,
    source: str,
    batch_id: str,
    page: PageArgs,
    f: BatchRunFilters,
    settled: Settled,
) -> Connection:
    """The batch's runs as ListRunsInBatch pages them: the `runs` field's connection."""
    p, listing = _listing(info, source, batch_id, f)
    return await info.context.loaders.connection(p, listing, **page, settled=settled)


async def opening_page(
    info: Info, source: str, batch_id: str, first: int | None, f: BatchRunFilters, settled: Settled
) -> None:
    """The page `runs_page` reads first for `first` from the list's start, read now."""
    p, listing = _listing(info, source, batch_id, f)
    await info.context.loaders.opening_page(p, listing, first, settled)


def read_runs_ahead(info: Info, source: str, batch_id: str) -> asyncio.Future[Record | None]:
    """Start each selected `runs` page now, beside GetBatch; returns where the batch goes once
    read (None if it fails). A page that answers first waits for it before it is kept: its
    state says how long (the `runs` field waits for its batch anyway, so nothing is later)."""
    batch: asyncio.Future[Record | None] = asyncio.get_running_loop().create_future()

    async def settled(_page: object) -> bool:
        record = await asyncio.shield(batch)
        return record is not None and STATES.batch_settled(record.get("status"))

    for args in selected_arguments(info, "runs"):
        page = page_args(args)
        if page["after"] is not None or page["before"] is not None or page["last"] is not None:
            # Only a tree's first page is on the critical path. A walk from a cursor stays the
            # field's alone: two walks of one listing at once may meet two views of a list
            # that changes under them, and the paging law would answer INTERNAL, not a page.
            continue
        f = BatchRunFilters(
            args.get("submissionStatus"), args.get("runSettingId"), args.get("runId")
        )
        read_ahead(opening_page(info, source, batch_id, page["first"], f, settled))
    return batch
