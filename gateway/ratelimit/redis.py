"""Token buckets in Redis: N replicas draw from one bucket per upstream account and operation.

One Lua script refills and takes a token atomically on Redis's own clock (`TIME`), so replicas
need no synchronised clocks. Like the in-process bucket, a caller that finds it empty books the
next token (the bucket goes into debt) and sleeps until its turn, so waiters are served in
arrival order and the total rate never exceeds `rate`.

While Redis is unreachable each replica paces in-process at its share of the quota (`rate`
divided by `[limits] replicas`), so N replicas together still stay under it; the first call
Redis answers again goes back to the shared bucket (gateway/cache/outage.py).
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from gateway.cache.outage import REDIS_FAILURES, Outage
from gateway.cache.redis_backend import connect
from gateway.config import Settings
from gateway.observability import hooks as observe
from gateway.ratelimit import MemoryRateLimiter, RateLimiter

_TAKE = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1])
local stamp = tonumber(state[2])
if tokens == nil or stamp == nil then
  tokens = capacity
  stamp = now
end
tokens = math.min(capacity, tokens + math.max(0, now - stamp) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
if tokens >= 0 then
  return '0'
end
return tostring(-tokens / rate)
"""


class RedisRateLimiter:
    """`RateLimiter` over Redis; keys live under `prefix` so deployments can share a Redis."""

    def __init__(self, client: aioredis.Redis, prefix: str, replicas: int = 1) -> None:
        self._client = client
        self._prefix = prefix
        self._take = client.register_script(_TAKE)
        self._replicas = max(1, replicas)
        self._local = MemoryRateLimiter()
        self.outage = Outage("ratelimit")

    async def acquire(self, key: str, rate: float, burst: float | None = None) -> float:
        if rate <= 0:
            return 0.0
        capacity = burst if burst is not None else max(1.0, rate)
        if self.outage.available():
            try:
                raw = await self._take(keys=[f"{self._prefix}rate:{key}"], args=[rate, capacity])
            except REDIS_FAILURES as exc:
                self.outage.failed(exc)
            else:
                self.outage.succeeded()
                delay = float(raw)
                if delay > 0:
                    observe.rate_limit_wait(key, delay)
                    await asyncio.sleep(delay)
                return delay
        # This replica's share, conservatively: the others may be pacing in-process too.
        share = rate / self._replicas
        return await self._local.acquire(key, share, max(1.0, capacity / self._replicas))


def rate_limiter_for(settings: Settings, client: aioredis.Redis | None = None) -> RateLimiter:
    """Redis buckets when `[cache] url` is set (replicas share one budget), else in-process."""
    if settings.cache.url is None:
        return MemoryRateLimiter()
    return RedisRateLimiter(
        client or connect(settings.cache.url), settings.cache.key_prefix, settings.limits.replicas
    )
