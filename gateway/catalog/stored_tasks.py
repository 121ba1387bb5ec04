"""Settled runs' stored task lists, read in batches and kept in process between requests.

A settled run's task list never changes except by deletion, so once read it is kept here
(bounded by entries and bytes, least recently used first) for `settled_ttl_seconds` — the
same bound the upstream cache puts on a settled task page, so a replica that did not see a
deletion serves it no longer than it would serve the upstream page. This process forgets a
run's lists when it marks the run deleted, and everything when it purges. Misses asked for
at once (a tree's hundred runs) are read in one statement.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.cache.backend import ExpiringLRU
from gateway.catalog.records import loads
from gateway.catalog.tables import runs, tasks

#: The stored listing paths (HealthOmics tasks; a Tencent run's top-level calls).
PATHS = ("", "/")

Key = tuple[str, str, str]  # source key, run native id, path
Items = list[dict[str, Any]]


class StoredTasks:
    """Cache plus batched reads of settled runs' stored task lists."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        ttl: float = 3600.0,
        max_entries: int = 2_000,
        max_bytes: int = 256 * 2**20,
    ) -> None:
        self.engine = engine
        self.ttl = ttl
        self._cache = ExpiringLRU(max_entries, max_bytes)
        self._pending: dict[Key, asyncio.Future[Items | None]] = {}
        #: How many statements read task lists (the tests check batching by it).
        self.reads = 0
        self._generation = 0
        self._flushing: set[asyncio.Task[None]] = set()

    @staticmethod
    def _name(key: Key) -> str:
        return "\0".join(key)

    async def get(self, source_key: str, native_id: str, path: str) -> Items | None:
        """The stored listing at `path` in upstream order; None when the catalogue lacks it."""
        key = (source_key, native_id, path)
        found = self._cache.entry(self._name(key))
        if found is not None:
            items: Items = found[0]
            return items
        waiting = self._pending.get(key)
        if waiting is None:
            loop = asyncio.get_running_loop()
            waiting = self._pending[key] = loop.create_future()
            if len(self._pending) == 1:  # the first miss of this tick reads for all of them
                loop.call_soon(self._start_flush)
        return await asyncio.shield(waiting)

    def _start_flush(self) -> None:
        task = asyncio.ensure_future(self._flush())
        self._flushing.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._flushing.discard)

    async def _flush(self) -> None:
        batch, self._pending = self._pending, {}
        generation = self._generation
        try:
            found = await self._read(list(batch))
        except BaseException as exc:
            for fut in batch.values():
                if not fut.done():
                    fut.set_exception(exc)
            return
        expires = time.monotonic() + self.ttl
        for key, fut in batch.items():
            got = found.get(key)
            if got is not None and generation == self._generation:
                items, size = got
                self._cache.put(self._name(key), items, expires, size)
            if not fut.done():
                fut.set_result(None if got is None else got[0])

    async def _read(self, keys: Sequence[Key]) -> dict[Key, tuple[Items, int]]:
        """One statement for every run asked: its id and sync mark, its rows at the paths."""
        by_source: dict[str, set[str]] = {}
        for source_key, native_id, _ in keys:
            by_source.setdefault(source_key, set()).add(native_id)
        which = or_(
            *(
                and_(runs.c.source_key == s, runs.c.native_id.in_(sorted(ids)))
                for s, ids in by_source.items()
            )
        )
        paths = sorted({k[2] for k in keys})
        stmt = (
            select(runs.c.source_key, runs.c.native_id, tasks.c.path, tasks.c.record)
            .select_from(
                runs.outerjoin(tasks, and_(tasks.c.run_id == runs.c.id, tasks.c.path.in_(paths)))
            )
            .where(
                which,
                runs.c.deleted_upstream_ms.is_(None),
                runs.c.tasks_synced_ms.is_not(None),
            )
            .order_by(runs.c.id, tasks.c.path, tasks.c.position)
        )
        self.reads += 1
        async with self.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        synced: set[tuple[str, str]] = set()
        out: dict[Key, tuple[Items, int]] = {}
        for r in rows:
            synced.add((r.source_key, r.native_id))
            if r.path is None:
                continue
            items, size = out.get((r.source_key, r.native_id, r.path), ([], 0))
            items.append(loads(r.record))
            out[(r.source_key, r.native_id, r.path)] = (items, size + 2 * len(r.record))
        for source_key, native_id, path in keys:  # synced with nothing at this path: empty
            if (source_key, native_id) in synced and (source_key, native_id, path) not in out:
                out[(source_key, native_id, path)] = ([], 0)
        return out

    def forget(self, source_key: str, native_id: str) -> None:
        """This run was deleted (or its lists replaced): serve none of them from here."""
        self._generation += 1  # a read in flight now must not keep what it found
        for path in PATHS:
            self._cache.discard(self._name((source_key, native_id, path)))

    def clear(self) -> None:
        self._generation += 1
        self._cache.clear()
