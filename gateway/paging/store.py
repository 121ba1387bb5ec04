"""The token store: upstream tokens too long for a cursor, and the chain of pages seen.

Backward paging needs the token of the page *before* a page, which upstream never gives; the
gateway learns it while walking forward and keeps it here. In-process by default; a shared
backend (Redis) replaces it when replicas must agree.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Protocol


class TokenStore(Protocol):
    """Keyed strings with a time to live; a missing key means the client's cursor expired."""

    async def put(self, key: str, value: str, ttl: float) -> None: ...

    async def get(self, key: str) -> str | None: ...


class MemoryTokenStore:
    """Bounded LRU with per-entry expiry; what a single process needs."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._max = max_entries

    async def put(self, key: str, value: str, ttl: float) -> None:
        self._data[key] = (time.monotonic() + ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    async def get(self, key: str) -> str | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            del self._data[key]
            return None
        return value

    def forget_all(self) -> None:
        """Drop everything (tests simulate a restart or an eviction with it)."""
        self._data.clear()
