"""The catalogue in a running gateway: open, migrate, sync each source under a lease, answer.

One `Catalog` per process. Each source's loop ticks every `min(sweep_interval, lease / 3)`: it
takes (or renews) the source's lease row and, holding it, sweeps when a sweep is due.
With several processes on one database exactly one holds each lease; when it dies its lease
expires and another takes over within two lease periods. `RunEvents.run_changed` is the entry
point for pushed events (run id + status ⇒ refresh now); sweeps remain the safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.catalog.database import CatalogUnavailable, make_engine, migrate, resolve_url
from gateway.catalog.metrics import SyncStats
from gateway.catalog.pacing import Pacer
from gateway.catalog.records import source_key
from gateway.catalog.store import Store
from gateway.catalog.sync import AnyProvider, SourceSync
from gateway.catalog.trees import stored_page
from gateway.config import Settings
from gateway.errors import GatewayError
from gateway.ratelimit import RateLimiter
from gateway.types import Listing, Page, PageRef, ProviderKind

log = logging.getLogger(__name__)


class RunEvents(Protocol):
    """What an event consumer (EventBridge via SQS) calls when a run changes upstream."""

    async def run_changed(self, source: str, run_id: str, status: str | None = None) -> None: ...


class LeaseLost(Exception):
    """Another process holds this source's lease now: stop sweeping it."""


@dataclass
class SourceStatus:
    """What `Query.catalog` shows of one source."""

    name: str
    last_sweep_at: float | None
    lag_seconds: float | None
    runs: int
    settled_runs_with_tasks: int
    last_error: str | None
    syncing_here: bool


class Catalog:
    """The catalogue of one gateway process: database, store, per-source syncs and leases."""

    def __init__(
        self,
        settings: Settings,
        providers: Mapping[str, Any],
        *,
        url: str | None = None,
        limiter: RateLimiter | None = None,
        holder: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.cfg = settings.catalog
        self.url = url or resolve_url(self.cfg)
        self.engine: AsyncEngine = make_engine(self.url)
        self.store = Store(self.engine, task_ttl=settings.cache.settled_ttl_seconds)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._clock = clock
        self.syncs: dict[str, SourceSync] = {}
        for source in settings.sources:
            provider = providers.get(source.name)
            if provider is None:
                continue
            pacer = Pacer(settings, source, limiter)
            self.syncs[source.name] = SourceSync(settings, source, provider, self.store, pacer)
        self.keys = {name: s.key for name, s in self.syncs.items()}
        self._due: dict[str, float] = {}
        self._held: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._next_purge = 0.0
        self.stats = SyncStats()
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = False

    # -- lifetime ---------------------------------------------------------------------------

    async def open(self) -> None:
        """Migrate (under the lock) and register the configured sources."""
        await migrate(self.engine)
        for sync in self.syncs.values():
            await sync.register()
        self.ready = True

    def start(self, only: list[str] | None = None) -> None:
        """Run the background loops (in `gateway serve`) unless `[catalog] sync = false`.

        One loop per source, so a long sweep of one never delays taking over another's lease.
        """
        if not self._tasks and self.cfg.sync:
            self._tasks = [
                asyncio.create_task(self._loop(name), name=f"catalog-sync:{name}")
                for name in self.syncs
                if only is None or name in only
            ]

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for name in list(self._held):
            with contextlib.suppress(SQLAlchemyError, OSError):
                await self.store.release(self._lease(name), self.holder)
        await self.engine.dispose()

    @property
    def tick(self) -> float:
        return min(self.cfg.sweep_interval_seconds, self.cfg.lease_seconds / 3)

    def _lease(self, name: str) -> str:
        return f"sync:{self.keys[name]}"

    async def _loop(self, name: str) -> None:
        while True:
            try:
                await self.step(name)
            except (GatewayError, LeaseLost) as exc:
                log.warning("catalog sync of %s: %s", name, exc)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("catalog database unavailable during sync of %s: %s", name, exc)
            await asyncio.sleep(self.tick)

    async def step(self, name: str) -> bool:
        """Take or renew `name`'s lease; sweep it when due. True when a sweep ran."""
        async with self._locks.setdefault(name, asyncio.Lock()):  # one sweep per source here
            return await self._step(name)

    async def _step(self, name: str) -> bool:
        lease = self._lease(name)
        if not await self.store.acquire(lease, self.holder, self.cfg.lease_seconds):
            self._held.discard(name)
            return False
        self._held.add(name)
        now = self._clock()
        if now < self._due.get(name, 0.0):
            return False

        lost = asyncio.Event()

        async def heartbeat() -> None:
            """Renews the lease every third of it while the sweep runs, however slow a step."""
            while True:
                await asyncio.sleep(self.cfg.lease_seconds / 3)
                try:
                    held = await self.store.acquire(lease, self.holder, self.cfg.lease_seconds)
                except (SQLAlchemyError, OSError):
                    held = False
                if not held:
                    lost.set()
                    return

        async def renew() -> None:
            """Between sweep steps: stop at once if another process holds the lease now."""
            if lost.is_set():
                self._held.discard(name)
                raise LeaseLost(name)

        beating = asyncio.create_task(heartbeat(), name=f"catalog-lease:{name}")
        try:
            await self.syncs[name].sweep(renew)
        except BaseException:
            self.stats.failed(name)
            raise
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            self._due[name] = self._clock() + self.cfg.sweep_interval_seconds
        total, _ = await self.store.count_runs(self.keys[name])
        self.stats.swept(name, total)
        await self._purge_if_due()
        return True

    async def _purge_if_due(self) -> None:
        """Retention, at most hourly, by whichever process sweeps."""
        now = self._clock()
        if now < self._next_purge:
            return
        self._next_purge = now + 3600
        cfg = self.cfg
        removed = await self.store.purge(
            [s.key for s in self.syncs.values()],
            retention_days=cfg.retention_days,
            deleted_retention_days=cfg.deleted_retention_days,
            orphan_retention_days=cfg.orphan_retention_days,
        )
        if removed:
            log.info("catalog retention purged %d runs", removed)

    async def step_now(self, name: str) -> bool:
        """Sweep `name` now if its lease is free or ours (True when a sweep ran)."""
        self._due.pop(name, None)
        return await self.step(name)

    async def sync_once(self, only: str | None = None) -> list[str]:
        """Sweep every source (or `only`) once now, lease permitting (`gateway catalog sync`)."""
        done = []
        for name in self.syncs:
            if only is not None and name != only:
                continue
            self._due.pop(name, None)
            if await self.step(name):
                done.append(name)
        return done

    # -- events -----------------------------------------------------------------------------

    async def refresh_run(self, source: str, run_id: str, status: str | None) -> None:
        """`live.events.RunRefresher`: an EventBridge hint from the SQS consumer."""
        await self.run_changed(source, run_id, status)

    async def run_changed(self, source: str, run_id: str, status: str | None = None) -> None:
        """Refresh one run now (and fetch its tasks when it settled); unknown sources ignored."""
        sync = self.syncs.get(source)
        if sync is None:
            log.info("catalog: event for unconfigured source %r ignored", source)
            return
        if await sync.refresh(run_id):
            await sync.settle(run_id)

    # -- reads ------------------------------------------------------------------------------

    def granted_keys(self, names: list[str]) -> tuple[str, ...]:
        return tuple(sorted({self.keys[n] for n in names if n in self.keys}))

    def name_of(self, key: str, names: list[str]) -> str | None:
        """The granted source name a row's key belongs to (None: not served)."""
        return next((n for n in names if self.keys.get(n) == key), None)

    async def status(self, names: list[str]) -> list[SourceStatus]:
        out = []
        now = self._clock()
        try:
            holders = await self.store.holders()
            for name in names:
                key = self.keys.get(name)
                if key is None:
                    continue
                row = await self.store.source_row(key) or {}
                total, with_tasks = await self.store.count_runs(key)
                last = row.get("last_sweep_at")
                last_s = None if last is None else last / 1000.0
                out.append(
                    SourceStatus(
                        name=name,
                        last_sweep_at=last_s,
                        lag_seconds=None if last_s is None else max(0.0, now - last_s),
                        runs=total,
                        settled_runs_with_tasks=with_tasks,
                        last_error=row.get("last_error"),
                        syncing_here=holders.get(f"sync:{key}") == self.holder,
                    )
                )
        except (SQLAlchemyError, OSError) as exc:
            raise CatalogUnavailable() from exc
        return out

    def source_key(self, name: str) -> str | None:
        return self.keys.get(name)

    async def task_page(
        self, source: str, kind: ProviderKind, listing: Listing, ref: PageRef, size: int
    ) -> Page | None:
        """A settled run's task page from the catalogue, or None (read upstream instead)."""
        key = self.keys.get(source)
        if key is None or not self.ready:
            return None
        try:
            return await stored_page(self.store, key, kind, listing, ref, size)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("catalog unavailable for %s's tasks; reading upstream: %s", source, exc)
            return None


def catalog_key(settings: Settings, name: str) -> str | None:
    source = settings.source(name)
    return None if source is None else source_key(source)


__all__ = ["AnyProvider", "Catalog", "CatalogUnavailable", "LeaseLost", "RunEvents"]
