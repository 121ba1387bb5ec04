"""Single-flight: identical upstream calls in flight at once are made once, however many ask."""

from __future__ import annotations

import asyncio

import pytest

from gateway.cache.backend import MemoryBackend
from gateway.cache.upstream import UpstreamCache
from tests.conftest import Gateway

N = 50


def _tree(batch: str) -> str:
    return f"""{{ batch(source: "aws", id: "{batch}") {{ name runs(first: 100) {{ edges {{
      submission {{ runSettingId }} node {{ name status
        tasks(first: 100) {{ edges {{ node {{ name status }} }} }} }} }} }} }} }}"""


async def test_concurrent_identical_trees_make_one_call_per_page(gateway: Gateway) -> None:
    ho = gateway.emulator.healthomics
    batch = max(ho.batch_ids(), key=lambda b: len(ho.runs_in_batch(b)))
    # Every call takes a while, so all 50 queries are in flight together.
    gateway.emulator.faults.configure("omics", "*", latency_ms=50)
    bodies = await asyncio.gather(*(gateway.query(_tree(batch)) for _ in range(N)))
    assert all(not b.get("errors") for b in bodies)
    assert all(b == bodies[0] for b in bodies)
    runs = [s["runId"] for s in ho.runs_in_batch(batch) if s.get("runId")]
    with_tasks = [r for r in runs if ho.run(r)["status"] != "DELETED"]
    assert gateway.calls() == {
        "omics:GetBatch": 1,
        "omics:ListRunsInBatch": 1,
        "omics:ListRuns": 1,
        "omics:ListRunTasks": len(with_tasks),
    }


async def test_concurrent_identical_records_make_one_call(gateway: Gateway) -> None:
    ho = gateway.emulator.healthomics
    run = next(r["id"] for r in ho.all_runs() if r["status"] == "RUNNING")
    gateway.emulator.faults.configure("omics", "GetRun", latency_ms=50)
    q = f'{{ run(source: "aws", id: "{run}") {{ name status }} }}'
    bodies = await asyncio.gather(*(gateway.query(q) for _ in range(N)))
    assert all(b == bodies[0] and not b.get("errors") for b in bodies)
    assert gateway.calls() == {"omics:GetRun": 1}


async def test_waiters_share_a_failure_and_it_is_not_kept() -> None:
    cache = UpstreamCache(MemoryBackend(100, 1_000_000))
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise RuntimeError("upstream down")

    results = await asyncio.gather(
        *(cache.get("k", failing, lambda v: 60.0) for _ in range(10)), return_exceptions=True
    )
    assert calls == 1
    assert all(isinstance(r, RuntimeError) for r in results)

    async def working() -> str:
        nonlocal calls
        calls += 1
        return "value"

    assert await cache.get("k", working, lambda v: 60.0) == "value"
    assert await cache.get("k", working, lambda v: 60.0) == "value"
    assert calls == 2


async def test_fresh_skips_the_cache_but_still_stores() -> None:
    cache = UpstreamCache(MemoryBackend(100, 1_000_000))
    values = iter(["old", "new"])

    async def load() -> str:
        return next(values)

    assert await cache.get("k", load, lambda v: 60.0) == "old"
    assert await cache.get("k", load, lambda v: 60.0) == "old"
    assert await cache.get("k", load, lambda v: 60.0, fresh=True) == "new"
    assert await cache.get("k", load, lambda v: 60.0) == "new"


@pytest.mark.parametrize("ttl", [0.0, -1.0])
async def test_nothing_kept_without_a_ttl(ttl: float) -> None:
    cache = UpstreamCache(MemoryBackend(100, 1_000_000))
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        return calls

    assert await cache.get("k", load, lambda v: ttl) == 1
    assert await cache.get("k", load, lambda v: ttl) == 2
