"""Retention and leases at the store: what is purged, and who holds a source's lease."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.catalog.records import run_row
from gateway.catalog.store import DAY_MS, Store, now_ms
from gateway.catalog.tables import runs
from gateway.clouds.healthomics.states import KIND as HO_KIND


def _run(native: str, days_ago: int) -> dict[str, object]:
    created = datetime.fromtimestamp((now_ms() - days_ago * DAY_MS) / 1000, UTC)
    return {"id": native, "status": "COMPLETED", "creationTime": created}


async def _natives(engine: AsyncEngine) -> set[tuple[str, str]]:
    async with engine.connect() as conn:
        return {(r.source_key, r.native_id) for r in await conn.execute(select(runs))}


async def test_purge_follows_each_retention_rule(engine: AsyncEngine) -> None:
    store = Store(engine)
    ho = HO_KIND
    await store.upsert_runs(
        "kept", [run_row(ho, _run("1000001", 400)), run_row(ho, _run("1000002", 1))]
    )
    await store.upsert_runs(
        "kept", [run_row(ho, _run("1000003", 1)), run_row(ho, _run("1000004", 1))]
    )
    await store.upsert_runs("gone", [run_row(ho, _run("2000001", 1))])
    await store.mark_deleted("kept", "1000003")
    await store.mark_deleted("kept", "1000004")
    async with engine.begin() as conn:  # deleted upstream 40 days ago
        await conn.execute(
            update(runs)
            .where(runs.c.native_id == "1000003")
            .values(deleted_upstream_ms=now_ms() - 40 * DAY_MS)
        )
    rules = {"retention_days": 0, "deleted_retention_days": 30, "orphan_retention_days": 7}
    assert await store.purge(["kept"], **rules) == 1  # the run deleted 40 days ago
    assert ("kept", "1000003") not in await _natives(engine)
    assert await store.purge(["kept"], **{**rules, "retention_days": 365}) == 1  # 400 days old
    assert await store.purge(["kept"], **rules, orphans_now=True) == 1  # the unconfigured source
    assert await _natives(engine) == {("kept", "1000002"), ("kept", "1000004")}


async def test_one_holder_per_lease_until_it_expires(engine: AsyncEngine) -> None:
    store = Store(engine)
    assert await store.acquire("sync:x", "a", 0.5)
    assert not await store.acquire("sync:x", "b", 0.5)
    assert await store.acquire("sync:x", "a", 0.5)  # renewal
    await asyncio.sleep(0.6)
    assert await store.acquire("sync:x", "b", 0.5)  # expired: taken over
    assert await store.holders() == {"sync:x": "b"}
    await store.release("sync:x", "b")
    assert await store.holders() == {}


async def test_stored_tasks_are_read_in_one_statement_kept_and_forgotten(
    engine: AsyncEngine,
) -> None:
    """A tree's runs ask at once: one read; asked again: none; a deletion or purge: re-read."""
    store = Store(engine)
    ho = HO_KIND
    natives = ["3000001", "3000002", "3000003"]
    await store.upsert_runs("k", [run_row(ho, _run(n, 1)) for n in natives])
    async with engine.connect() as conn:
        ids = dict((await conn.execute(select(runs.c.native_id, runs.c.id))).all())
    for i, native in enumerate(natives[:2]):
        tasks = [
            (f"t{i}{j}", "COMPLETED", {"taskId": f"t{i}{j}", "name": f"n{j}"}) for j in range(3)
        ]
        await store.put_tasks(ids[native], {"": tasks})
    reads = store.stored_tasks.reads

    async def ask() -> list[object]:
        return list(await asyncio.gather(*(store.task_items("k", n, "") for n in natives)))

    first = await ask()
    assert [None if t is None else [r["taskId"] for r in t] for t in first] == [
        ["t00", "t01", "t02"],
        ["t10", "t11", "t12"],
        None,  # its tasks are not catalogued
    ]
    assert store.stored_tasks.reads == reads + 1
    assert await ask() == first
    assert store.stored_tasks.reads == reads + 2  # only the uncatalogued run is asked again
    await store.mark_deleted("k", natives[0])
    assert await store.task_items("k", natives[0], "") is None
    assert await store.task_items("k", natives[1], "/") == []  # nothing stored at that path
    rules = {"retention_days": 0, "deleted_retention_days": 0, "orphan_retention_days": 7}
    async with engine.begin() as conn:
        await conn.execute(
            update(runs).where(runs.c.native_id == natives[0]).values(deleted_upstream_ms=1)
        )
    assert await store.purge(["k"], **rules) == 1
    before = store.stored_tasks.reads
    assert [r["taskId"] for r in await store.task_items("k", natives[1], "") or []] == [
        "t10",
        "t11",
        "t12",
    ]
    assert store.stored_tasks.reads == before + 1  # the purge emptied the cache
