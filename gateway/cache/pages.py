"""The in-process page cache with single-flight: one upstream call per page, however many ask.

A page that answered a request is kept briefly, so paging on with `after` (which re-reads the
cursor's page) costs no second call; identical calls in flight at once are made once. Failures
are never kept.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SingleFlightCache(Generic[V]):
    """TTL + LRU cache whose misses are shared by every concurrent caller of the same key."""

    def __init__(self, ttl: float, max_entries: int) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._inflight: dict[Hashable, asyncio.Future[V]] = {}
        self.hits = 0
        self.misses = 0

    def peek(self, key: Hashable) -> V | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._data[key]
            return None
        return entry[1]

    def put(self, key: Hashable, value: V) -> None:
        if self.ttl <= 0 or self.max_entries <= 0:
            return
        self._data[key] = (time.monotonic() + self.ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    async def get(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        cached = self.peek(key)
        if cached is not None:
            self.hits += 1
            return cached
        pending = self._inflight.get(key)
        if pending is not None:
            self.hits += 1
            return await asyncio.shield(pending)
        self.misses += 1
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # consumed here: waiters re-raise it, nobody logs it as lost
            raise
        else:
            future.set_result(value)
            self.put(key, value)
            return value
        finally:
            del self._inflight[key]

    def clear(self) -> None:
        self._data.clear()
