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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from gateway.observability import hooks as observe


class _Window:
    """`limit` slots; a slot is busy while its call is in flight and `period` seconds after.

    Counting from a call's end (not its start) keeps the guarantee wherever upstream counts:
    on arrival, while queued, or on completion, any two uses of one slot are `period` apart.
    """

    def __init__(self) -> None:
        self.done: deque[float] = deque()
        self.in_flight = 0
        self.wake = asyncio.Event()

    async def enter(self, limit: int, period: float) -> float:
        started = time.monotonic()
        while True:
            now = time.monotonic()
            while self.done and now - self.done[0] >= period:
                self.done.popleft()
            if self.in_flight + len(self.done) < limit:
                self.in_flight += 1  # no await since the check: nobody took it meanwhile
                return time.monotonic() - started
            # Every slot is busy: wait for the oldest to age out, or for a call to end.
            timeout = self.done[0] + period - now if self.done else None
            with suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout)

    def leave(self) -> None:
        """Synchronous, so a cancelled call still gives its slot back."""
        self.in_flight -= 1
        self.done.append(time.monotonic())
        wake, self.wake = self.wake, asyncio.Event()
        wake.set()


class RollingWindowRateLimiter:
    """At most `rate` calls per key in any window of `period` seconds (in-process).

    `period` carries a small margin over one second for clock and network skew. `burst` is
    accepted for the seam's sake; a window never holds more than `rate` calls whatever it says.
    """

    def __init__(self, period: float = 1.05) -> None:
        self.period = period
        self._windows: dict[str, _Window] = {}

    def _window(self, key: str) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window()
        return window

    async def acquire(self, key: str, rate: float, burst: float | None = None) -> float:
        """The seam's call: a slot counted from now (for calls that end at once)."""
        if rate <= 0:
            return 0.0
        window = self._window(key)
        waited = await window.enter(max(1, int(rate)), self.period)
        window.leave()
        return waited

    @asynccontextmanager
    async def slot(self, key: str, rate: float) -> AsyncIterator[float]:
        """Hold a slot for one call's whole flight; it frees `period` after the call ends."""
        if rate <= 0:
            yield 0.0
            return
        window = self._window(key)
        waited = await window.enter(max(1, int(rate)), self.period)
        if waited > 0:
            observe.rate_limit_wait(key, waited)
        try:
            yield waited
        finally:
            window.leave()
