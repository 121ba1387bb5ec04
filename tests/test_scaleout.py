"""Two gateway apps on one Redis: they share cache entries, the token store and the rate budget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from benchmarks.procs import max_in_window
from gateway.config import LimitsConfig
from gateway.guards import pacing_burst
from gateway.policy.persisted import sha256_hex
from tests.conftest import Gateway, Upstreams, open_gateway, settings_for


@asynccontextmanager
async def two_gateways(ups: Upstreams, redis_url: str, **extra: Any) -> AsyncIterator[Any]:
    ups.emulator.faults.reset(quotas=False)
    ups.emulator.calls.clear()
    settings = settings_for(ups.url, cache={"url": redis_url}, **extra)
    a_gen, b_gen = open_gateway(ups, settings), open_gateway(ups, settings)
    a: Gateway = await anext(a_gen)
    b: Gateway = await anext(b_gen)
    try:
        yield a, b
    finally:
        for gen in (a_gen, b_gen):
            await gen.aclose()
        ups.emulator.faults.reset(quotas=False)


async def test_second_replica_reads_the_first_ones_cache(
    upstreams: Upstreams, redis_url: str
) -> None:
    ho = upstreams.emulator.healthomics
    batch = max(ho.batch_ids(), key=lambda b: len(ho.runs_in_batch(b)))
    q = f"""{{ batch(source: "aws", id: "{batch}") {{ name status runs(first: 100) {{ edges {{
      submission {{ runSettingId }} node {{ name status startedAt
        tasks(first: 100) {{ edges {{ node {{ name status startedAt }} }} }} }} }} }} }} }}"""
    async with two_gateways(upstreams, redis_url) as (a, b):
        first = await a.data(q)
        cold = a.calls()
        assert cold["omics:ListRunTasks"] > 0
        assert await b.data(q) == first
        assert b.calls() == cold, "replica B made no upstream call"


async def test_replicas_share_the_token_store(upstreams: Upstreams, redis_url: str) -> None:
    ho = upstreams.emulator.healthomics
    run = max(
        (r["id"] for r in ho.all_runs() if r["status"] == "COMPLETED"),
        key=lambda r: len(ho.tasks(r)),
    )
    q = """query($run: String!, $after: String, $before: String, $first: Int, $last: Int) {
      run(source: "aws", id: $run) { tasks(first: $first, after: $after, last: $last, before: $before) {
        pageInfo { endCursor } edges { cursor node { nativeId } } } } }"""
    async with two_gateways(upstreams, redis_url) as (a, b):
        after = None
        for _ in range(3):  # A walks forward, learning the chain of upstream tokens
            conn = (await a.data(q, run=run, first=10, after=after))["run"]["tasks"]
            after = conn["pageInfo"]["endCursor"]
        learned = [k async for k in a.app.state.upstream.redis.scan_iter("rgw:t:*")]
        assert learned, "A's walk stored its token chain in Redis"
        store_b = b.app.state.upstream.store
        for key in learned:
            value = await a.app.state.upstream.redis.get(key)
            assert await store_b.get(key.decode().removeprefix("rgw:t:")) == value.decode()
        # B answers A's cursors both ways.
        ids = [t["taskId"] for t in ho.tasks(run)]
        fwd = (await b.data(q, run=run, first=5, after=after))["run"]["tasks"]
        assert [e["node"]["nativeId"] for e in fwd["edges"]] == ids[30:35]
        back = (await b.data(q, run=run, last=5, before=after))["run"]["tasks"]
        assert [e["node"]["nativeId"] for e in back["edges"]] == ids[24:29]


async def test_replicas_share_one_rate_budget(upstreams: Upstreams, redis_url: str) -> None:
    ho = upstreams.emulator.healthomics
    runs = [r["id"] for r in ho.all_runs() if r["status"] != "DELETED"][:20]
    q = """query($run: String!) { run(source: "aws", id: $run) {
      tasks(first: 5) { edges { node { nativeId } } } } }"""
    rate = 20.0
    limits = {"upstream_rates": {"healthomics:ListRunTasks": rate}}
    async with two_gateways(upstreams, redis_url, limits=limits) as (a, b):
        await asyncio.gather(
            *(a.data(q, run=r) for r in runs[:10]), *(b.data(q, run=r) for r in runs[10:])
        )
        stamps = [c.at for c in upstreams.emulator.calls.calls() if c.operation == "ListRunTasks"]
    assert len(stamps) == 20
    # One bucket for both replicas: its burst at once, then the paced rate (guards.py), never
    # faster whatever the machine's load; and never more than the quota in any second.
    paced = rate * LimitsConfig().upstream_rate_headroom
    assert max(stamps) - min(stamps) >= (len(stamps) - pacing_burst(rate)) / paced - 0.05
    assert max_in_window(stamps) <= rate


async def test_replicas_share_persisted_queries(upstreams: Upstreams, redis_url: str) -> None:
    """A hash registered through one replica runs on the other (Apollo APQ, stored in Redis)."""
    query = "query Named { sources { name } }"
    ext = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}}
    async with two_gateways(upstreams, redis_url) as (a, b):
        unknown = (await b.client.post("/graphql", json={"extensions": ext})).json()
        assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        registered = await a.client.post("/graphql", json={"query": query, "extensions": ext})
        assert "errors" not in registered.json()
        by_hash = (await b.client.post("/graphql", json={"extensions": ext})).json()
        assert by_hash == registered.json()
