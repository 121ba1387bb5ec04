"""A rolling-window backend for the `gateway.ratelimit.RateLimiter` seam, for hard quotas.

Tencent allows 20 requests per second per action and account (UIN), whichever of our sources
makes them. A plain token bucket of capacity `rate` lets up to 2 × rate calls through one
second that straddles a refill (a full bucket, then the refill); this limiter never lets more
than `rate` calls into any window, while an idle account may still burst to `rate` at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque


class _Window:
    """The send times of the last calls under one key; each slot frees `period` after its use."""

    def __init__(self) -> None:
        self.spent: deque[float] = deque()
        self.lock = asyncio.Lock()

    async def take(self, limit: int, period: float) -> float:
        waited = 0.0
        async with self.lock:  # FIFO: waiters are served in arrival order
            while True:
                now = time.monotonic()
                while self.spent and now - self.spent[0] >= period:
                    self.spent.popleft()
                if len(self.spent) < limit:
                    self.spent.append(now)
                    return waited
                delay = self.spent[0] + period - now
                waited += delay
                await asyncio.sleep(delay)


class RollingWindowRateLimiter:
    """At most `rate` calls per key in any window of `period` seconds (in-process).

    `period` carries a small margin over one second: upstream counts arrivals, and a request sent
    exactly one second after another may arrive a few milliseconds sooner. `burst` is accepted
    for the seam's sake; a window never holds more than `rate` calls whatever it says.
    """

    def __init__(self, period: float = 1.05) -> None:
        self.period = period
        self._windows: dict[str, _Window] = {}

    async def acquire(self, key: str, rate: float, burst: float | None = None) -> float:
        if rate <= 0:
            return 0.0
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window()
        return await window.take(max(1, int(rate)), self.period)
