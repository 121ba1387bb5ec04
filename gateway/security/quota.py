"""Per-client query quotas: queries per minute and cost points per hour, refused, not queued.

Upstream rate limits (gateway/ratelimit.py) make callers wait; a client over its own quota is
told THROTTLED at once, with how long to wait. `QueryQuota` is the seam (a shared backend keeps
replicas to one quota); the in-process buckets here serve one replica.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Allowance:
    """One refillable allowance: `capacity` units that refill fully over `period` seconds."""

    capacity: float
    period: float

    @property
    def rate(self) -> float:
        return self.capacity / self.period


class QueryQuota(Protocol):
    """Take `amounts[i]` from allowance i under `key`, all or nothing.

    Returns 0 when taken, else the seconds until the request would fit.
    """

    def take(self, key: str, allowances: list[Allowance], amounts: list[float]) -> float: ...


class MemoryQueryQuota:
    """Token buckets in this process, one per (client, allowance)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, int], tuple[float, float]] = {}

    def _level(self, key: tuple[str, int], allowance: Allowance, now: float) -> float:
        level, stamp = self._buckets.get(key, (allowance.capacity, now))
        return min(allowance.capacity, level + (now - stamp) * allowance.rate)

    def take(self, key: str, allowances: list[Allowance], amounts: list[float]) -> float:
        now = self._clock()
        levels = []
        wait = 0.0
        for i, (allowance, amount) in enumerate(zip(allowances, amounts, strict=True)):
            level = self._level((key, i), allowance, now)
            levels.append(level)
            need = min(amount, allowance.capacity)  # a query costlier than the whole allowance
            if level < need:  # waits for a full bucket rather than never running
                wait = max(wait, (need - level) / allowance.rate)
        if wait > 0:
            return wait
        for i, (level, amount) in enumerate(zip(levels, amounts, strict=True)):
            self._buckets[(key, i)] = (level - amount, now)
        return 0.0
