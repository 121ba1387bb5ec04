"""The token store in Redis, so a cursor made on one replica pages on from any other.

While Redis is unreachable, tokens of new cursors are kept in this process (they page on here,
and from Redis's absence onwards only here); a cursor whose token only Redis holds finds
nothing and answers CURSOR_EXPIRED, as any forgotten token does. See gateway/cache/outage.py.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from gateway.cache.outage import REDIS_FAILURES, Outage
from gateway.paging.store import MemoryTokenStore


class RedisTokenStore:
    """Keyed strings with Redis's own expiry; a key gone (expired, evicted) is an expired cursor."""

    def __init__(
        self, client: aioredis.Redis, prefix: str, fallback: MemoryTokenStore | None = None
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._local = fallback or MemoryTokenStore()
        self.outage = Outage("tokens")

    async def put(self, key: str, value: str, ttl: float) -> None:
        if self.outage.available():
            try:
                await self._client.set(
                    self._prefix + key, value.encode(), px=max(1, int(ttl * 1000))
                )
            except REDIS_FAILURES as exc:
                self.outage.failed(exc)
            else:
                self.outage.succeeded()
                return
        await self._local.put(key, value, ttl)

    async def get(self, key: str) -> str | None:
        if self.outage.available():
            try:
                data = await self._client.get(self._prefix + key)
            except REDIS_FAILURES as exc:
                self.outage.failed(exc)
            else:
                self.outage.succeeded()
                if data is not None:
                    return data.decode() if isinstance(data, bytes) else str(data)
        # Kept here while Redis was away (or never in Redis): this replica's own tokens.
        return await self._local.get(key)
