"""Token buckets in Redis: limiter instances on one Redis stay under one quota together."""

from __future__ import annotations

import asyncio
import time

from benchmarks.procs import max_in_window
from gateway.cache.redis_backend import connect
from gateway.config import load_settings
from gateway.ratelimit import MemoryRateLimiter
from gateway.ratelimit.redis import RedisRateLimiter, rate_limiter_for


async def test_two_limiters_share_one_budget(redis_url: str) -> None:
    rate, per_replica = 20.0, 20
    clients = [connect(redis_url), connect(redis_url)]
    limiters = [RedisRateLimiter(c, "rgw:") for c in clients]
    stamps: list[float] = []

    async def call(limiter: RedisRateLimiter) -> None:
        await limiter.acquire("acct:ListRunTasks", rate, 1.0)
        stamps.append(time.monotonic())

    try:
        start = time.monotonic()
        await asyncio.gather(*(call(lim) for lim in limiters for _ in range(per_replica)))
        elapsed = time.monotonic() - start
    finally:
        for c in clients:
            await c.aclose()
    # 40 calls at 20/s with no burst: the last goes out no earlier than 39/20 s after the first.
    assert elapsed >= (2 * per_replica - 1) / rate - 0.05
    assert max_in_window(stamps) <= rate + 1


async def test_keys_and_rates_are_separate_buckets(redis_url: str) -> None:
    client = connect(redis_url)
    try:
        limiter = RedisRateLimiter(client, "rgw:")
        assert await limiter.acquire("a:Op", 5.0, 1.0) == 0.0
        assert await limiter.acquire("b:Op", 5.0, 1.0) == 0.0, "another key, its own bucket"
        waited = await limiter.acquire("a:Op", 5.0, 1.0)
        assert 0.1 < waited <= 0.2
        assert await limiter.acquire("a:Op", 0.0) == 0.0, "a zero rate does not limit"
    finally:
        await client.aclose()


def test_factory_picks_the_backend_from_config(redis_url: str) -> None:
    assert isinstance(rate_limiter_for(load_settings(None)), MemoryRateLimiter)
    shared = rate_limiter_for(load_settings(None, cache={"url": redis_url}))
    assert isinstance(shared, RedisRateLimiter)
