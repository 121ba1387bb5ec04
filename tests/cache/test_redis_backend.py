"""The Redis backend against a real redis-server: shared values, Redis's own expiry, outages."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from gateway.cache.redis_backend import MAX_CONNECTIONS, RedisBackend, connect
from gateway.cache.upstream import UpstreamCache
from gateway.types import Page
from tests.redisd import _free_port


async def test_values_are_shared_between_clients(redis_url: str) -> None:
    a, b = connect(redis_url), connect(redis_url)
    try:
        page = Page([{"id": "1", "creationTime": datetime(2024, 1, 2, tzinfo=UTC)}], "next")
        await RedisBackend(a, "t:").set("page", page, 60)
        hit = await RedisBackend(b, "t:").get("page")
        assert hit is not None and hit[0] == page
        assert 59 < hit[1] - time.monotonic() <= 60, "the hit says when it expires"
        assert await RedisBackend(b, "other:").get("page") is None
        assert 0 < await b.pttl("t:page") <= 60_000
    finally:
        await a.aclose()
        await b.aclose()


async def test_entries_expire_in_redis(redis_url: str) -> None:
    client = connect(redis_url)
    try:
        backend = RedisBackend(client, "t:")
        await backend.set("k", {"v": 1}, 0.1)
        assert (await backend.get("k") or [None])[0] == {"v": 1}
        await asyncio.sleep(0.2)
        assert await backend.get("k") is None
    finally:
        await client.aclose()


async def test_single_flight_over_redis(redis_url: str) -> None:
    client = connect(redis_url)
    calls = 0

    async def load() -> dict[str, int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return {"n": calls}

    try:
        cache = UpstreamCache(RedisBackend(client, "t:"))
        results = await asyncio.gather(*(cache.get("k", load, lambda v: 60.0) for _ in range(50)))
        assert results == [{"n": 1}] * 50
        assert calls == 1
        other = UpstreamCache(RedisBackend(client, "t:"))  # another replica
        assert await other.get("k", load, lambda v: 60.0) == {"n": 1}
        assert calls == 1
    finally:
        await client.aclose()


async def test_redis_down_is_a_miss_not_an_error() -> None:
    client = connect(f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there
    try:
        cache = UpstreamCache(RedisBackend(client, "t:"))

        async def load() -> str:
            return "from upstream"

        assert await cache.get("k", load, lambda v: 60.0) == "from upstream"
    finally:
        await client.aclose()


async def test_more_concurrent_commands_than_connections_wait_for_one(redis_url: str) -> None:
    """Past the pool's size a command waits for a free connection: a busy gateway is not a
    lost Redis (no fallback to in-process, so replicas keep sharing cache and rate budget)."""
    client = connect(redis_url)
    try:
        backend = RedisBackend(client, "t:")
        await backend.set("k", {"v": 1}, 60)
        hits = await asyncio.gather(*(backend.get("k") for _ in range(3 * MAX_CONNECTIONS)))
        assert all(hit is not None and hit[0] == {"v": 1} for hit in hits)
        assert not backend.outage.degraded
    finally:
        await client.aclose()
