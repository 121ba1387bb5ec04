"""The Redis backend: one cache every replica reads, with Redis's own expiry per entry.

Values travel through gateway/cache/codec.py (JSON, never pickle). Redis expires entries
itself (`SET … PX`), so no replica ever serves an entry older than its TTL.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.cache.codec import decode, encode

log = logging.getLogger(__name__)


def connect(url: str) -> aioredis.Redis:
    """One client (a connection pool) per app; commands connect lazily on the running loop."""
    return aioredis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)


class RedisBackend:
    """Cache entries as Redis strings under `prefix`; a Redis failure is a miss, never an error.

    The cache only saves upstream calls: if Redis is down, queries go upstream as if nothing
    were cached (logged once per outage), rather than failing.
    """

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._failing = False

    async def get(self, key: str) -> tuple[Any, float] | None:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.get(self._prefix + key)
                pipe.pttl(self._prefix + key)
                data, pttl = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None
        self._failing = False
        if data is None or pttl is None or pttl <= 0:
            return None
        value = decode(data.encode() if isinstance(data, str) else data)
        return value, time.monotonic() + pttl / 1000

    async def set(self, key: str, value: Any, ttl: float) -> None:
        ms = int(ttl * 1000)
        if ms <= 0:
            return
        try:
            await self._client.set(self._prefix + key, encode(value), px=ms)
        except (RedisError, OSError) as exc:
            self._failed(exc)

    async def delete(self, key: str) -> None:
        try:
            await self._client.delete(self._prefix + key)
        except (RedisError, OSError) as exc:
            self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        if not self._failing:
            log.warning("redis cache unavailable, reading upstream instead: %s", exc)
        self._failing = True

    async def aclose(self) -> None:
        """The client belongs to the app (shared with the token store and rate limiter)."""
