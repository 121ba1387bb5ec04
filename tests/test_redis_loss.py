"""Redis loss degrades, it does not fail: a real redis-server is killed under a running gateway
and started again. While it is gone, uncached reads and new cursors answer (cache, token store
and rate limiter in-process, each transition logged once and exported as a metric), old cursors
whose token only Redis held are found again by their anchors (or answer CURSOR_EXPIRED beyond
the walk bound); once it is back, all three use it again."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from gateway.cache.redis_backend import connect
from gateway.ratelimit.redis import RedisRateLimiter
from tests.conftest import (
    DZ_SOURCE,
    Gateway,
    Upstreams,
    datazone_domain,
    open_gateway,
    settings_for,
)
from tests.redisd import RedisProcess

COMPONENTS = ("cache", "tokens", "ratelimit")
RUNS = """query($after: String) { runs(source: "aws", first: 3, after: $after) {
  edges { node { nativeId ... on HealthOmicsRun { tasks(first: 2) { edges { node { nativeId } } } } } } } }"""
JOB_RUNS = f"""query($job: String!, $after: String, $n: Int = 2) {{ dataZoneJob(source: "{DZ_SOURCE}", id: $job) {{
  runs(first: $n, after: $after) {{ pageInfo {{ endCursor hasNextPage }} edges {{ node {{ nativeId }} }} }} }} }}"""


@pytest.fixture
def redis_proc() -> Iterator[RedisProcess]:
    server = RedisProcess()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def shared(upstreams: Upstreams, redis_proc: RedisProcess) -> AsyncIterator[Gateway]:
    upstreams.emulator.faults.reset(quotas=False)
    upstreams.emulator.calls.clear()
    cfg = settings_for(
        upstreams.url,
        cache={"url": redis_proc.url},
        limits={"replicas": 2, "queries_per_minute": 0, "cost_points_per_hour": 0},
    )
    async for gw in open_gateway(upstreams, cfg):
        yield gw


def _job(upstreams: Upstreams) -> str:
    dz = upstreams.emulator.datazone
    domain = datazone_domain(upstreams.url)
    return next(j for j in dz.jobs(domain) if len(dz.job_runs(domain, j)) >= 6)


async def _walk(gw: Gateway, job: str, after: str | None, pages: int, n: int = 2) -> str:
    """Page `pages` times through a DataZone job's runs (tokens of 1000+ characters: they live in
    the token store); the last end cursor."""
    for _ in range(pages):
        conn = (await gw.data(JOB_RUNS, job=job, after=after, n=n))["dataZoneJob"]["runs"]
        after = conn["pageInfo"]["endCursor"]
    assert after is not None
    return after


async def _metrics(gw: Gateway) -> str:
    text: str = (await gw.client.get("/metrics")).text
    return text


def _degraded(metrics: str, component: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(f'gateway_redis_degraded{{component="{component}"}}'):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no gauge for {component}")


async def test_a_redis_outage_degrades_and_recovers(
    shared: Gateway,
    redis_proc: RedisProcess,
    upstreams: Upstreams,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gw = shared
    job = _job(upstreams)
    old = await _walk(gw, job, None, 2)  # its page's token is in Redis only
    redis = gw.app.state.upstream.redis
    assert [k async for k in redis.scan_iter("rgw:t:*")], "tokens were shared through Redis"

    redis_proc.stop(kill=True)
    caplog.set_level(logging.WARNING, logger="gateway.cache.outage")
    # Uncached reads of HealthOmics (rate limiter + cache) answer, twice (the second from memory).
    gw.reset_calls()
    first = await gw.data(RUNS)
    assert gw.calls()["omics:ListRuns"] == 1
    # Another document over the same upstream results: not a kept answer, the cache's memory.
    again = await gw.data(RUNS.replace("runs(", "again: runs("))
    assert again["again"] == first["runs"]
    assert gw.calls()["omics:ListRuns"] == 1, "the in-process cache answered the second"
    # An old cursor whose token only Redis held: the walker finds its place again by the
    # cursor's anchors from the head of the listing (the paging law), so the next runs come,
    # exactly those after the fourth — never a silent skip or repeat.
    dz = upstreams.emulator.datazone
    truth = [r["runId"] for r in dz.job_runs(datazone_domain(upstreams.url), job)]
    body = await gw.query(JOB_RUNS, job=job, after=old)
    assert not body.get("errors"), body
    runs = body["data"]["dataZoneJob"]["runs"]["edges"]
    assert [e["node"]["nativeId"] for e in runs] == truth[4:6], body
    # New cursors page on (their tokens are kept in this process). Another page size than
    # before the outage, so no answer kept from then serves it.
    new = await _walk(gw, job, None, 3, n=1)
    assert new
    warned = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert sorted(m.split(": ")[1].split(" ")[0] for m in warned) == sorted(COMPONENTS), warned
    metrics = await _metrics(gw)
    assert all(_degraded(metrics, c) == 1.0 for c in COMPONENTS), metrics

    redis_proc.start()  # empty: nothing survived
    await asyncio.sleep(1.1)  # the outage's retry interval: the next calls probe Redis again
    caplog.clear()
    gw.reset_calls()
    await gw.data(RUNS, after=None)
    await _walk(gw, job, new, 1, n=1)  # a cursor of the outage still pages on here
    await gw.data(RUNS)
    recovered = [r.getMessage() for r in caplog.records if "answers again" in r.getMessage()]
    assert len(recovered) == len(COMPONENTS), recovered
    metrics = await _metrics(gw)
    assert all(_degraded(metrics, c) == 0.0 for c in COMPONENTS), metrics
    assert [k async for k in redis.scan_iter("rgw:t:*")], "new tokens go to Redis again"
    assert [k async for k in redis.scan_iter("rgw:c:*")], "the cache is Redis again"
    assert [k async for k in redis.scan_iter("rgw:rate:*")], "the rate budget is shared again"


async def test_the_fallback_paces_at_its_share_of_the_quota(redis_proc: RedisProcess) -> None:
    url = redis_proc.url
    redis_proc.stop(kill=True)
    client = connect(url)
    limiter = RedisRateLimiter(client, "rgw:", replicas=2)
    try:
        start = time.monotonic()
        waits = await asyncio.gather(*(limiter.acquire("acct:Op", 10.0) for _ in range(6)))
        elapsed = time.monotonic() - start
    finally:
        await client.aclose()
    assert limiter.outage.degraded
    # A quota of 10/s shared by two replicas: a bucket of 5, so the sixth call waits its turn
    # (at the full quota, a bucket of 10, none would).
    assert sorted(waits)[:5] == [0.0] * 5 and max(waits) > 0, waits
    assert elapsed >= max(waits)


async def test_a_dead_redis_is_not_asked_on_every_call(redis_proc: RedisProcess) -> None:
    """While down, Redis is probed once per retry interval, not per call (no pile-up)."""
    url = redis_proc.url
    redis_proc.stop(kill=True)
    client = connect(url)
    asked: list[Any] = []
    limiter = RedisRateLimiter(client, "rgw:", replicas=1)
    original = limiter._take

    async def counting(*args: Any, **kwargs: Any) -> Any:
        asked.append(1)
        return await original(*args, **kwargs)

    limiter._take = counting  # type: ignore[assignment]
    try:
        for _ in range(20):
            await limiter.acquire("acct:Op", 1000.0)
    finally:
        await client.aclose()
    assert len(asked) == 1
