"""Cache policy by state, counted at the emulator: settled kept, live refetched, errors never."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.emulator.app import create_emulator
from gateway.emulator.server import LoopbackServer
from tests.conftest import Gateway, Upstreams, open_gateway, settings_for

TASKS = """query($run: String!) { run(source: "aws", id: $run) { status
  tasks(first: 50) { edges { node { nativeId status } } } } }"""
RUN = """query($run: String!) { run(source: "aws", id: $run) { name status } }"""


def run_with_status(gw: Gateway, status: str) -> str:
    ho = gw.emulator.healthomics
    return max(
        (r["id"] for r in ho.all_runs() if r["status"] == status),
        key=lambda r: len(ho.tasks(r)),
    )


@pytest.fixture
async def short_ttl(upstreams: Upstreams) -> AsyncIterator[Gateway]:
    """A gateway whose live entries keep 0.2 s; settled ones keep the default hour."""
    upstreams.emulator.faults.reset(quotas=False)
    upstreams.emulator.calls.clear()
    cache: dict[str, Any] = {"live_ttl_seconds": 0.2, "page_ttl_seconds": 0.2}
    async for gw in open_gateway(upstreams, settings_for(upstreams.url, cache=cache)):
        yield gw
    upstreams.emulator.faults.reset(quotas=False)


async def test_settled_run_tasks_are_fetched_once_across_queries(short_ttl: Gateway) -> None:
    run = run_with_status(short_ttl, "COMPLETED")
    first = await short_ttl.data(TASKS, run=run)
    for _ in range(4):
        await asyncio.sleep(0.05)
        assert await short_ttl.data(TASKS, run=run) == first
    await asyncio.sleep(0.25)  # past the live TTL: settled entries are still served
    assert await short_ttl.data(TASKS, run=run) == first
    assert short_ttl.calls() == {"omics:GetRun": 1, "omics:ListRunTasks": 1}


async def test_live_run_tasks_are_refetched_after_the_ttl(short_ttl: Gateway) -> None:
    run = run_with_status(short_ttl, "RUNNING")
    await short_ttl.data(TASKS, run=run)
    await short_ttl.data(TASKS, run=run)
    assert short_ttl.calls() == {"omics:GetRun": 1, "omics:ListRunTasks": 1}, "within the TTL"
    await asyncio.sleep(0.3)
    await short_ttl.data(TASKS, run=run)
    assert short_ttl.calls() == {"omics:GetRun": 2, "omics:ListRunTasks": 2}


async def test_live_run_shows_progress_after_the_ttl() -> None:
    # Its own emulator: simulated time only moves forward, and other tests share the usual one.
    emu = create_emulator(seed=7, scale="small", quotas=False)
    with LoopbackServer(emu.app) as srv:
        ups = Upstreams(srv.url, emu)
        cache = {"live_ttl_seconds": 0.2, "page_ttl_seconds": 0.2}
        async for gw in open_gateway(ups, settings_for(srv.url, cache=cache)):
            run = run_with_status(gw, "RUNNING")
            before = (await gw.data(RUN, run=run))["run"]["status"]
            emu.clock.advance(7 * 24 * 3600)  # a week later every run has settled
            assert (await gw.data(RUN, run=run))["run"]["status"] == before, "still cached"
            await asyncio.sleep(0.3)
            after = (await gw.data(RUN, run=run))["run"]["status"]
            assert after != before
            assert after == emu.healthomics.run(run)["status"]


async def test_errors_are_not_cached(gateway: Gateway) -> None:
    run = run_with_status(gateway, "COMPLETED")
    gateway.emulator.faults.configure("omics", "GetRun", error_rate=1.0)
    failed = await gateway.query(RUN, run=run)
    assert failed["data"]["run"] is None
    assert failed["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    failed_calls = gateway.calls()["omics:GetRun"]
    gateway.emulator.faults.reset(quotas=False)
    ok = await gateway.data(RUN, run=run)
    assert ok["run"]["status"] == "COMPLETED"
    assert gateway.calls()["omics:GetRun"] == failed_calls + 1


async def test_not_found_is_not_cached(gateway: Gateway) -> None:
    for _ in range(2):
        body = await gateway.query(RUN, run="1234567")
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert gateway.calls() == {"omics:GetRun": 2}


async def test_no_cache_header_reads_upstream_and_refills(gateway: Gateway) -> None:
    run = run_with_status(gateway, "COMPLETED")
    await gateway.data(TASKS, run=run)
    resp = await gateway.client.post(
        "/graphql",
        json={"query": TASKS, "variables": {"run": run}},
        headers={"Cache-Control": "no-cache"},
    )
    assert not resp.json().get("errors")
    assert gateway.calls() == {"omics:GetRun": 2, "omics:ListRunTasks": 2}
    await gateway.data(TASKS, run=run)
    assert gateway.calls() == {"omics:GetRun": 2, "omics:ListRunTasks": 2}, "refilled"


async def test_settled_batch_tree_costs_nothing_the_second_time(gateway: Gateway) -> None:
    ho = gateway.emulator.healthomics
    batch = next(b for b in ho.batch_ids() if ho.batch(b)["status"] == "PROCESSED")
    q = f"""{{ batch(source: "aws", id: "{batch}") {{ name runs(first: 100) {{ edges {{
      submission {{ runSettingId }} node {{ name status
        tasks(first: 100) {{ edges {{ node {{ name status }} }} }} }} }} }} }} }}"""
    first = await gateway.data(q)
    cold = gateway.calls()
    assert await gateway.data(q) == first
    assert gateway.calls() == cold
