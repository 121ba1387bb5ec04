"""The token store in Redis, so a cursor made on one replica pages on from any other."""

from __future__ import annotations

import redis.asyncio as aioredis


class RedisTokenStore:
    """Keyed strings with Redis's own expiry; a key gone (expired, evicted) is an expired cursor.

    Unlike the cache, a Redis failure here is not hidden: a cursor that needs a stored token
    cannot be answered without it, and the caller maps the error.
    """

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    async def put(self, key: str, value: str, ttl: float) -> None:
        await self._client.set(self._prefix + key, value.encode(), px=max(1, int(ttl * 1000)))

    async def get(self, key: str) -> str | None:
        data = await self._client.get(self._prefix + key)
        if data is None:
            return None
        return data.decode() if isinstance(data, bytes) else str(data)
