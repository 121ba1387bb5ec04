"""Writes to the catalogue: idempotent upserts, sweep bookkeeping, leases and retention.

Every write is safe to repeat (a crash between two writes loses nothing and a replay doubles
nothing): runs upsert on (source key, native id), task lists are replaced whole in one
transaction, and a sweep's progress is a checkpoint row written after the page it covers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.catalog.records import RunRow, dumps, loads
from gateway.catalog.stored_tasks import StoredTasks
from gateway.catalog.tables import leases, run_tags, runs, sources, tasks

DAY_MS = 86_400_000
#: Providers whose runs have a task breakdown (DataZone job runs have none).
WITH_TASKS = ("healthomics", "tencent-omics")


def now_ms() -> int:
    return int(time.time() * 1000)


def now_us() -> int:
    """Microseconds: when order keys move (fine enough that no read shares the instant)."""
    return time.time_ns() // 1000


#: Order key column → the column saying when it last changed.
_MOVES = {
    "created_ms": "moved_created_ms",
    "started_key": "moved_started_ms",
    "stopped_key": "moved_stopped_ms",
    "name_key": "moved_name_ms",
}


@dataclass(frozen=True)
class Known:
    """What the catalogue holds of one run, as the sync needs it to decide what to fetch."""

    id: int
    status: str | None
    settled: bool
    detail_status: str | None
    tasks_synced: bool
    deleted: bool


class Store:
    """The catalogue's write side over one engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine, *, task_ttl: float = 3600.0) -> None:
        self.engine = engine
        #: Settled task lists kept between requests (forgotten here on deletion and purge).
        self.stored_tasks = StoredTasks(engine, ttl=task_ttl)
        self._dialect = engine.dialect.name

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(table)

    # -- sources and checkpoints ------------------------------------------------------------

    async def ensure_source(self, key: str, provider: str, identity: str) -> None:
        stmt = self._insert(sources).values(
            source_key=key, provider=provider, identity=identity, updated_at=now_ms()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[sources.c.source_key],
            set_={"identity": identity, "provider": provider},
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def source_row(self, key: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(sources).where(sources.c.source_key == key))).first()
        return None if row is None else dict(row._mapping)

    async def set_checkpoint(self, key: str, checkpoint: dict[str, Any] | None) -> None:
        value = None if checkpoint is None else dumps(checkpoint)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(sources)
                .where(sources.c.source_key == key)
                .values(checkpoint=value, updated_at=now_ms())
            )

    async def checkpoint(self, key: str) -> dict[str, Any] | None:
        row = await self.source_row(key)
        if row is None or row["checkpoint"] is None:
            return None
        return loads(row["checkpoint"])

    async def next_sweep(self, key: str) -> int:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(sources)
                .where(sources.c.source_key == key)
                .values(sweep_seq=sources.c.sweep_seq + 1)
            )
            seq = await conn.scalar(select(sources.c.sweep_seq).where(sources.c.source_key == key))
        return int(seq or 0)

    async def sweep_done(self, key: str, error: str | None) -> None:
        values: dict[str, Any] = {"last_error": error, "updated_at": now_ms()}
        if error is None:
            values["last_sweep_at"] = now_ms()
            values["checkpoint"] = None
        async with self.engine.begin() as conn:
            await conn.execute(update(sources).where(sources.c.source_key == key).values(**values))

    # -- runs -------------------------------------------------------------------------------

    async def known(self, key: str, native_ids: Sequence[str]) -> dict[str, Known]:
        if not native_ids:
            return {}
        async with self.engine.connect() as conn:
            return await self._known(conn, key, native_ids)

    async def _known(
        self, conn: AsyncConnection, key: str, native_ids: Sequence[str]
    ) -> dict[str, Known]:
        rows = await conn.execute(
            select(
                runs.c.id,
                runs.c.native_id,
                runs.c.status,
                runs.c.settled,
                runs.c.detail_status,
                runs.c.tasks_synced_ms,
                runs.c.deleted_upstream_ms,
            ).where(runs.c.source_key == key, runs.c.native_id.in_(list(native_ids)))
        )
        return {
            r.native_id: Known(
                r.id,
                r.status,
                bool(r.settled),
                r.detail_status,
                r.tasks_synced_ms is not None,
                r.deleted_upstream_ms is not None,
            )
            for r in rows
        }

    async def upsert_runs(
        self, key: str, rows: Iterable[RunRow], *, sweep: int | None = None, detail: bool = False
    ) -> None:
        """Insert or update runs; a list item merges into what a detail read stored before."""
        rows = list(rows)
        if not rows:
            return
        stamp, moved_at = now_ms(), now_us()
        async with self.engine.begin() as conn:
            old = await conn.execute(
                select(runs.c.native_id, runs.c.record, *(runs.c[k] for k in _MOVES)).where(
                    runs.c.source_key == key, runs.c.native_id.in_([r.native_id for r in rows])
                )
            )
            priors = {r.native_id: r for r in old}
            for row in rows:
                values = row.columns(stamp)
                prior = priors.get(row.native_id)
                for column, moved in _MOVES.items():
                    if prior is None or prior._mapping[column] != values[column]:
                        values[moved] = moved_at
                if prior is not None and not detail:
                    values["record"] = dumps({**loads(prior.record), **row.record})
                values.update(source_key=key, synced_ms=stamp, deleted_upstream_ms=None)
                if sweep is not None:
                    values["seen_sweep"] = sweep
                if detail:
                    values["detail_status"] = row.status
                changes = {k: v for k, v in values.items() if k not in ("source_key", "native_id")}
                stmt = self._insert(runs).values(**values)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[runs.c.source_key, runs.c.native_id], set_=changes
                )
                await conn.execute(stmt)
                if detail:
                    run_id = await conn.scalar(
                        select(runs.c.id).where(
                            runs.c.source_key == key, runs.c.native_id == row.native_id
                        )
                    )
                    await conn.execute(delete(run_tags).where(run_tags.c.run_id == run_id))
                    if row.tags:
                        await conn.execute(
                            run_tags.insert(),
                            [
                                {"run_id": run_id, "key": k[:128], "value": v[:256]}
                                for k, v in row.tags.items()
                            ],
                        )

    async def mark_seen(self, key: str, native_ids: Sequence[str], sweep: int) -> None:
        if native_ids:
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(runs)
                    .where(runs.c.source_key == key, runs.c.native_id.in_(list(native_ids)))
                    .values(seen_sweep=sweep)
                )

    async def missing(self, key: str, sweep: int, scope: str | None = None) -> list[str]:
        """Runs a full sweep did not list (not yet known deleted): candidates for a direct read."""
        cond = [runs.c.source_key == key, runs.c.seen_sweep != sweep]
        cond.append(runs.c.deleted_upstream_ms.is_(None))
        if scope is not None:
            cond.append(runs.c.workflow == scope)
        async with self.engine.connect() as conn:
            result = await conn.execute(select(runs.c.native_id).where(*cond))
            return [r.native_id for r in result]

    async def mark_deleted(self, key: str, native_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(runs)
                .where(runs.c.source_key == key, runs.c.native_id == native_id)
                .values(deleted_upstream_ms=now_ms(), synced_ms=now_ms())
            )
        self.stored_tasks.forget(key, native_id)

    async def needing_tasks(self, key: str, limit: int = 1000) -> list[tuple[int, str]]:
        """Settled, live runs whose task list is not catalogued yet."""
        async with self.engine.connect() as conn:
            result = await conn.execute(
                select(runs.c.id, runs.c.native_id)
                .where(
                    runs.c.source_key == key,
                    runs.c.settled.is_(True),
                    runs.c.tasks_synced_ms.is_(None),
                    runs.c.provider.in_(WITH_TASKS),
                    runs.c.state != "DELETED",
                    runs.c.deleted_upstream_ms.is_(None),
                )
                .order_by(runs.c.id)
                .limit(limit)
            )
            return [(r.id, r.native_id) for r in result]

    async def put_tasks(
        self, run_id: int, listings: dict[str, list[tuple[str, str | None, dict[str, Any]]]]
    ) -> None:
        """Replace a settled run's task lists (per path) in upstream order, in one go."""
        async with self.engine.begin() as conn:
            run = (
                await conn.execute(
                    select(runs.c.source_key, runs.c.native_id).where(runs.c.id == run_id)
                )
            ).first()
            await conn.execute(delete(tasks).where(tasks.c.run_id == run_id))
            rows = [
                {
                    "run_id": run_id,
                    "path": path,
                    "position": i,
                    "native_id": native,
                    "name": record.get("name") or record.get("CallName"),
                    "status": status,
                    "record": dumps(record),
                }
                for path, items in listings.items()
                for i, (native, status, record) in enumerate(items)
            ]
            if rows:
                await conn.execute(tasks.insert(), rows)
            await conn.execute(
                update(runs).where(runs.c.id == run_id).values(tasks_synced_ms=now_ms())
            )
        if run is not None:
            self.stored_tasks.forget(run.source_key, run.native_id)

    async def task_items(self, key: str, native_id: str, path: str) -> list[dict[str, Any]] | None:
        """A settled run's stored listing at `path` in upstream order; None when not stored."""
        return await self.stored_tasks.get(key, native_id, path)

    # -- leases -----------------------------------------------------------------------------

    async def acquire(self, name: str, holder: str, seconds: float) -> bool:
        """Take or renew the lease `name`; True when `holder` holds it until now + seconds."""
        now = now_ms()
        expires = now + int(seconds * 1000)
        stmt = self._insert(leases).values(name=name, holder=holder, expires_ms=expires)
        stmt = stmt.on_conflict_do_update(
            index_elements=[leases.c.name],
            set_={"holder": holder, "expires_ms": expires},
            where=or_(leases.c.holder == holder, leases.c.expires_ms < now),
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt)
            held = await conn.scalar(select(leases.c.holder).where(leases.c.name == name))
        return held == holder

    async def release(self, name: str, holder: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(leases).where(leases.c.name == name, leases.c.holder == holder)
            )

    async def holders(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            result = await conn.execute(
                select(leases.c.name, leases.c.holder).where(leases.c.expires_ms >= now_ms())
            )
            return {r.name: r.holder for r in result}

    # -- retention --------------------------------------------------------------------------

    async def purge(
        self,
        configured: Sequence[str],
        *,
        retention_days: int,
        deleted_retention_days: int,
        orphan_retention_days: int,
        orphans_now: bool = False,
    ) -> int:
        """Drop what retention says is past keeping; returns the number of runs removed.

        Orphans are rows of sources no longer configured: after `orphan_retention_days` of no
        sync (or at once with `orphans_now`, as `gateway catalog purge` does).
        """
        now = now_ms()
        conds = [
            and_(
                runs.c.deleted_upstream_ms.is_not(None),
                runs.c.deleted_upstream_ms < now - deleted_retention_days * DAY_MS,
            )
        ]
        if retention_days > 0:
            conds.append(runs.c.created_ms < now - retention_days * DAY_MS)
        orphan = (
            runs.c.source_key.not_in(list(configured)) if configured else runs.c.id.is_not(None)
        )
        if orphans_now:
            conds.append(orphan)
        else:
            conds.append(and_(orphan, runs.c.synced_ms < now - orphan_retention_days * DAY_MS))
        async with self.engine.begin() as conn:
            doomed = select(runs.c.id).where(or_(*conds))
            await conn.execute(delete(tasks).where(tasks.c.run_id.in_(doomed)))
            await conn.execute(delete(run_tags).where(run_tags.c.run_id.in_(doomed)))
            result = await conn.execute(delete(runs).where(runs.c.id.in_(doomed)))
            count = int(result.rowcount or 0)
            if orphans_now and configured:
                await conn.execute(delete(sources).where(sources.c.source_key.not_in(configured)))
        if count:
            self.stored_tasks.clear()
        return count

    async def count_runs(self, key: str) -> tuple[int, int]:
        """(runs, settled runs with their tasks) of one source."""
        async with self.engine.connect() as conn:
            total = await conn.scalar(
                select(func.count()).select_from(runs).where(runs.c.source_key == key)
            )
            with_tasks = await conn.scalar(
                select(func.count())
                .select_from(runs)
                .where(runs.c.source_key == key, runs.c.tasks_synced_ms.is_not(None))
            )
        return int(total or 0), int(with_tasks or 0)
