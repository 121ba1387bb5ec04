"""The token store in Redis: what one replica stores, another reads; expiry is Redis's."""

from __future__ import annotations

import asyncio

from gateway.cache.redis_backend import connect
from gateway.paging.redis_store import RedisTokenStore


async def test_a_long_token_stored_by_one_replica_is_read_by_another(redis_url: str) -> None:
    a, b = connect(redis_url), connect(redis_url)
    token = "AQIDAHj" + "x" * 8185  # a DataZone-sized token (8192 chars)
    try:
        await RedisTokenStore(a, "rgw:t:").put("tok:abc", token, 60)
        assert await RedisTokenStore(b, "rgw:t:").get("tok:abc") == token
        assert await RedisTokenStore(b, "rgw:t:").get("tok:missing") is None
    finally:
        await a.aclose()
        await b.aclose()


async def test_tokens_expire(redis_url: str) -> None:
    client = connect(redis_url)
    try:
        store = RedisTokenStore(client, "rgw:t:")
        await store.put("chain:x", "11:n:", 0.1)
        assert await store.get("chain:x") == "11:n:"
        await asyncio.sleep(0.2)
        assert await store.get("chain:x") is None
    finally:
        await client.aclose()
