"""Client-side rate limits per upstream account and operation, as token buckets.

Upstream quotas belong to the account (Tencent: 20 requests/s per action per UIN), so every
source naming one account draws from one bucket per operation. `RateLimiter` is the seam: the
in-process bucket here serves one replica; a shared backend (Redis) keeps N replicas under one
quota together.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from gateway.observability import hooks as observe


def bucket_key(account: str, operation: str) -> str:
    """The one shape of a bucket's key (`account:Operation`), also its metric label, whichever
    cloud and limiter it belongs to."""
    return f"{account}:{operation}"


class RateLimiter(Protocol):
    """Waits until one call under `key` fits `rate` calls/s; returns the seconds waited."""

    async def acquire(self, key: str, rate: float, burst: float | None = None) -> float: ...


class _Bucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = time.monotonic()

    def reserve(self) -> float:
        """Take a token now or book the next one; the delay until it is ours."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class MemoryRateLimiter:
    """Token buckets in this process; waiting callers queue in arrival order."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}

    async def acquire(self, key: str, rate: float, burst: float | None = None) -> float:
        if rate <= 0:
            return 0.0
        capacity = burst if burst is not None else max(1.0, rate)
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.capacity != capacity:
            bucket = self._buckets[key] = _Bucket(rate, capacity)
        delay = bucket.reserve()
        if delay > 0:
            observe.rate_limit_wait(key, delay)
            await asyncio.sleep(delay)
        return delay
