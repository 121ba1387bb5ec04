"""The Redis backend: one cache every replica reads, with Redis's own expiry per entry.

Values travel through gateway/cache/codec.py (JSON, never pickle). Redis expires entries
itself (`SET … PX`), so no replica ever serves an entry older than its TTL.
"""

from __future__ import annotations

import time
from typing import Any

import redis.asyncio as aioredis

from gateway.cache.backend import MemoryBackend
from gateway.cache.codec import decode, encode
from gateway.cache.outage import REDIS_FAILURES, Outage

#: Connections per app; past it a command waits (up to the socket timeout) for a free one. The
#: default pool instead raises MaxConnectionsError at 100 in use, which 50 clients' queries
#: reached: Redis, healthy, was then treated as lost (cache, tokens, shared rate budget).
MAX_CONNECTIONS = 100


def connect(url: str) -> aioredis.Redis:
    """One client (a connection pool) per app; commands connect lazily on the running loop."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=5.0,
        socket_timeout=5.0,
        socket_connect_timeout=5.0,
    )
    return aioredis.Redis.from_pool(pool)  # closing the client closes its pool


class RedisBackend:
    """Cache entries as Redis strings under `prefix`; a Redis failure is never an error.

    The cache only saves upstream calls: while Redis is down it runs in memory (`fallback`,
    bounded like the in-process backend), and the first answer from Redis again switches back
    (and forgets the interim entries, which the other replicas never saw). See outage.py.
    """

    def __init__(
        self, client: aioredis.Redis, prefix: str, fallback: MemoryBackend | None = None
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._local = fallback or MemoryBackend(10_000, 64 * 1024 * 1024)
        self.outage = Outage("cache")

    async def get(self, key: str) -> tuple[Any, float] | None:
        if self.outage.available():
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.get(self._prefix + key)
                    pipe.pttl(self._prefix + key)
                    data, pttl = await pipe.execute()
            except REDIS_FAILURES as exc:
                self.outage.failed(exc)
            else:
                self._recovered()
                if data is None or pttl is None or pttl <= 0:
                    return None
                value = decode(data.encode() if isinstance(data, str) else data)
                return value, time.monotonic() + pttl / 1000
        return self._local.entry(key)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        ms = int(ttl * 1000)
        if ms <= 0:
            return
        if self.outage.available():
            try:
                await self._client.set(self._prefix + key, encode(value), px=ms)
            except REDIS_FAILURES as exc:
                self.outage.failed(exc)
            else:
                self._recovered()
                return
        await self._local.set(key, value, ttl)

    async def delete(self, key: str) -> None:
        if self.outage.available():
            try:
                await self._client.delete(self._prefix + key)
            except REDIS_FAILURES as exc:
                self.outage.failed(exc)
            else:
                self._recovered()
        await self._local.delete(key)

    def _recovered(self) -> None:
        if self.outage.degraded:
            self._local.clear()
        self.outage.succeeded()

    async def aclose(self) -> None:
        """The client belongs to the app (shared with the token store and rate limiter)."""
