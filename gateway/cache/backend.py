"""Where cached upstream results live: one interface, an in-process and a Redis backend.

The in-process backend keeps the Python values themselves (a hit costs a dict lookup, no
decoding) and is bounded by entries and by bytes; the Redis backend (gateway/cache/redis.py)
keeps encoded values that every replica reads.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Protocol

from gateway.cache.codec import size_of


class CacheBackend(Protocol):
    """Values under string keys, each with its own time to live; misses are None.

    A hit is the value and when it expires (`time.monotonic()` seconds), so what is built from
    it (a cached response) never outlives it.
    """

    async def get(self, key: str) -> tuple[Any, float] | None: ...

    async def set(self, key: str, value: Any, ttl: float) -> None: ...

    async def aclose(self) -> None: ...


class MemoryBackend:
    """LRU with per-entry expiry, bounded by entry count and by (estimated) bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[str, tuple[float, Any, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def entry(self, key: str) -> tuple[Any, float] | None:
        """The live value under `key` and its expiry, synchronously (every cached read)."""
        found = self._data.get(key)
        if found is None:
            return None
        if found[0] <= time.monotonic():
            self._drop(key)
            return None
        return found[1], found[0]

    def peek(self, key: str) -> Any | None:
        found = self.entry(key)
        return None if found is None else found[0]

    async def get(self, key: str) -> tuple[Any, float] | None:
        return self.entry(key)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        if ttl <= 0 or self.max_entries <= 0:
            return
        size = size_of(value)
        if size > self.max_bytes:
            return
        if key in self._data:
            self._drop(key)
        self._data[key] = (time.monotonic() + ttl, value, size)
        self.bytes += size
        while len(self._data) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, _, dropped) = self._data.popitem(last=False)
            self.bytes -= dropped

    def _drop(self, key: str) -> None:
        _, _, size = self._data.pop(key)
        self.bytes -= size

    def clear(self) -> None:
        self._data.clear()
        self.bytes = 0

    async def aclose(self) -> None:
        self.clear()
