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

    async def delete(self, key: str) -> None:
        """Forget `key` (a push event says upstream changed); absent keys are fine."""

    async def aclose(self) -> None: ...


class ExpiringLRU:
    """Entries with an expiry each; the least recently used goes first when the count or the
    (estimated) bytes overflow. Shared by the upstream cache and the kept answers."""

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
        self._data.move_to_end(key)
        return found[1], found[0]

    def put(self, key: str, value: Any, expires_at: float, size: int) -> None:
        if self.max_entries <= 0 or size > self.max_bytes or expires_at <= time.monotonic():
            return
        if key in self._data:
            self._drop(key)
        self._data[key] = (expires_at, value, size)
        self.bytes += size
        while len(self._data) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, _, dropped) = self._data.popitem(last=False)
            self.bytes -= dropped

    def discard(self, key: str) -> None:
        """Forget `key` if held."""
        if key in self._data:
            self._drop(key)

    def _drop(self, key: str) -> None:
        _, _, size = self._data.pop(key)
        self.bytes -= size

    def clear(self) -> None:
        self._data.clear()
        self.bytes = 0


class MemoryBackend(ExpiringLRU):
    """The in-process `CacheBackend`: values kept as they are, sized by estimate."""

    def peek(self, key: str) -> Any | None:
        found = self.entry(key)
        return None if found is None else found[0]

    async def get(self, key: str) -> tuple[Any, float] | None:
        return self.entry(key)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        if ttl > 0:
            self.put(key, value, time.monotonic() + ttl, size_of(value))

    async def delete(self, key: str) -> None:
        if key in self._data:
            self._drop(key)

    async def aclose(self) -> None:
        self.clear()
