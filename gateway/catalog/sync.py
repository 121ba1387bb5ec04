"""Keeping one source's catalogue fresh: sweeps, detail reads, deletions and settled tasks.

A sweep walks every run listing of the source (HealthOmics ListRuns; Tencent DescribeRuns;
DataZone ListJobRuns per configured job), upserting each page and writing a checkpoint after
it, so a crash (even `kill -9`) resumes where it stopped with nothing lost or doubled. A new
HealthOmics run is read once with GetRun (tags and details the list lacks) and again when it
settles. A run a complete sweep did not list is marked deleted only after a direct read says
not found. A settled run's task list (Tencent: its top-level calls) is fetched once, in
upstream order. Every call goes through the provider (so through the same guards as user
queries) after the `Pacer` let it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from gateway.catalog.pacing import Pacer
from gateway.catalog.records import (
    HO,
    TC,
    kind_of,
    run_row,
    source_identity,
    source_key,
    task_record,
)
from gateway.catalog.store import Known, Store
from gateway.clouds.datazone.provider import DataZoneProvider
from gateway.clouds.healthomics.provider import HealthOmicsProvider
from gateway.clouds.tencent.provider import TencentOmicsProvider
from gateway.config import Settings, SourceConfig
from gateway.errors import ErrorCode, GatewayError
from gateway.types import Listing, PageRef, Record

log = logging.getLogger(__name__)

AnyProvider = HealthOmicsProvider | TencentOmicsProvider | DataZoneProvider
#: Called between pages; raises to stop a sweep (the lease was lost).
Renew = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


class SourceSync:
    """The sync of one configured source into one store."""

    def __init__(
        self,
        settings: Settings,
        source: SourceConfig,
        provider: AnyProvider,
        store: Store,
        pacer: Pacer | None = None,
    ) -> None:
        self.settings = settings
        self.source = source
        self.provider = provider
        self.store = store
        self.kind = kind_of(source)
        self.key = source_key(source)
        self.pace = pacer or Pacer(settings, source)
        self._store_params = settings.catalog.store_parameters
        legacy = settings.catalog.datazone_jobs.get(source.name)
        if legacy is not None:
            log.warning(
                "[catalog] datazone_jobs is deprecated: give source %r its jobs as "
                "`jobs = [...]` in its [[sources]] entry%s",
                source.name,
                " (that list is used; datazone_jobs is ignored)" if source.jobs else "",
            )
        #: DataZone: the jobs swept (the source's `jobs`, else the deprecated catalog key).
        self.jobs = list(source.jobs or legacy or [])

    async def register(self) -> None:
        await self.store.ensure_source(self.key, self.kind.value, source_identity(self.source))

    # -- listings ---------------------------------------------------------------------------

    def listings(self) -> list[Listing]:
        p = self.provider
        if isinstance(p, HealthOmicsProvider):
            return [p.runs()]
        if isinstance(p, TencentOmicsProvider):
            return [p.runs()]
        return [p.job_runs(job) for job in self.jobs]

    # -- one sweep --------------------------------------------------------------------------

    async def sweep(self, renew: Renew = _nothing) -> None:
        """One complete sweep (resuming a checkpointed one), then deletions and tasks."""
        try:
            await self._sweep(renew)
        except GatewayError as exc:
            await self.store.sweep_done(self.key, f"{exc.code.value}: {exc.message}")
            raise
        await self.store.sweep_done(self.key, None)

    async def _sweep(self, renew: Renew) -> None:
        checkpoint = await self.store.checkpoint(self.key)
        if checkpoint is not None:
            seq, start, ref = (
                int(checkpoint["sweep"]),
                int(checkpoint["listing"]),
                checkpoint["ref"],
            )
        else:
            seq, start, ref = await self.store.next_sweep(self.key), 0, None
        listings = self.listings()
        for index in range(start, len(listings)):
            try:
                await self._walk(listings[index], seq, index, ref, renew)
            except GatewayError:
                if ref is None:
                    raise
                # A resumed token may have expired upstream: start this sweep over.
                log.info("catalog %s: resume point rejected; sweeping again", self.source.name)
                await self.store.set_checkpoint(self.key, None)
                return await self._sweep(renew)
            ref = None
        for native in await self.store.missing(self.key, seq):
            await self._confirm(native, seq)
            await renew()
        for run_id, native in await self.store.needing_tasks(self.key):
            try:
                await self._fetch_tasks(run_id, native)
            except GatewayError as exc:
                if exc.code is not ErrorCode.NOT_FOUND:
                    raise
                await self.refresh(native, seq=seq)  # gone meanwhile: confirm and record it
            await renew()
        return None

    async def _walk(
        self, listing: Listing, seq: int, index: int, ref: PageRef, renew: Renew
    ) -> None:
        while True:
            await self.pace(listing.operation)
            page = await self.provider.fetch_page(listing, ref, listing.max_page)
            await self._absorb(page.items, seq, renew)
            ref = page.next_ref
            if ref is None:
                return
            await self.store.set_checkpoint(self.key, {"sweep": seq, "listing": index, "ref": ref})
            await renew()

    async def _absorb(self, items: Any, seq: int, renew: Renew) -> None:
        rows = [run_row(self.kind, item, self._store_params) for item in items]
        known = await self.store.known(self.key, [r.native_id for r in rows])
        await self.store.upsert_runs(self.key, rows, sweep=seq)
        for row in rows:
            if self._needs_detail(row.status, row.settled, known.get(row.native_id)):
                await self.refresh(row.native_id, seq=seq)
                await renew()

    def _needs_detail(self, status: str | None, settled: bool, known: Known | None) -> bool:
        """HealthOmics lists lack tags and details: GetRun once when new, again when settled."""
        if self.kind is not HO:
            return False
        if known is None or known.detail_status is None:
            return True
        return settled and known.detail_status != status

    # -- direct reads -----------------------------------------------------------------------

    async def read(self, native_id: str) -> Record | None:
        """The run's record from upstream now; None when upstream says it does not exist."""
        p = self.provider
        try:
            if isinstance(p, HealthOmicsProvider):
                await self.pace("GetRun")
                return await p.get_run(native_id)
            if isinstance(p, TencentOmicsProvider):
                await self.pace("DescribeRuns")
                found = await p.describe_runs([native_id])
                return found[0] if found else None
            await self.pace("GetJobRun")
            return await p.get_job_run(native_id)
        except GatewayError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise

    async def refresh(self, native_id: str, *, seq: int | None = None) -> bool:
        """Read one run now and store it (the event entry point lands here); False if gone."""
        record = await self.read(native_id)
        if record is None:
            await self.store.mark_deleted(self.key, native_id)
            return False
        row = run_row(self.kind, record, self._store_params)
        await self.store.upsert_runs(self.key, [row], sweep=seq, detail=True)
        return True

    async def _confirm(self, native_id: str, seq: int) -> None:
        """A run the sweep missed: deleted only if a direct read says so."""
        if not await self.refresh(native_id, seq=seq):
            log.info("catalog %s: run %s deleted upstream", self.source.name, native_id)

    async def settle(self, native_id: str) -> None:
        """After an event: if the run is now settled and its tasks missing, fetch them."""
        for run_id, native in await self.store.needing_tasks(self.key):
            if native == native_id:
                await self._fetch_tasks(run_id, native)

    # -- tasks of settled runs --------------------------------------------------------------

    async def _fetch_tasks(self, run_id: int, native_id: str) -> None:
        p = self.provider
        listings: dict[str, list[tuple[str, str | None, dict[str, Any]]]] = {}
        if isinstance(p, HealthOmicsProvider):
            listing = p.tasks(native_id)
            ref: PageRef = None
            items: list[Record] = []
            while True:
                await self.pace(listing.operation)
                page = await p.fetch_page(listing, ref, listing.max_page)
                items.extend(page.items)
                if page.next_ref is None:
                    break
                ref = page.next_ref
            listings[""] = [task_record(HO, item) for item in items]
        elif isinstance(p, TencentOmicsProvider):
            await self.pace("GetRunCalls")
            calls = await p.get_run_calls(native_id, "/")
            listings["/"] = [task_record(TC, item, self._store_params) for item in calls]
        else:
            return
        await self.store.put_tasks(run_id, listings)
