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
