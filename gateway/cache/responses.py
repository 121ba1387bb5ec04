"""Whole answers of read queries, kept in-process until the first upstream result in them expires.

A tree of settled runs is built from results cached for an hour; executing it again costs the
executor ~80k field completions. The answer itself is kept instead, keyed by everything that
shapes it (document, operation, variables, the caller's credentials), and dropped no later than
the earliest-expiring upstream result it was built from, so it is never older than the TTL of
its data. Answers with errors are not kept; `Cache-Control: no-cache` skips this cache too.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import orjson

#: Request headers that decide what a caller may see: answers are never shared across them.
IDENTITY_HEADERS = ("authorization", "x-api-key", "cookie")


def response_key(
    query: str | None,
    operation: str | None,
    variables: Mapping[str, Any] | None,
    headers: Mapping[str, str] | None,
) -> str | None:
    """A digest of what shapes the answer; None when it cannot be keyed (no query)."""
    if not query:
        return None
    h = hashlib.blake2b(digest_size=20)
    h.update(query.encode())
    h.update(b"\x00" + (operation or "").encode())
    h.update(b"\x00" + orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS))
    for name in IDENTITY_HEADERS:
        value = headers.get(name) if headers is not None else None
        h.update(b"\x00" + (value or "").encode())
    return h.hexdigest()


class ResponseCache:
    """LRU of answers with an expiry each, bounded by entries and (encoded) bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[str, tuple[float, Any, int]] = OrderedDict()

    def get(self, key: str) -> Any | None:
        found = self._data.get(key)
        if found is None:
            return None
        if found[0] <= time.monotonic():
            self._drop(key)
            return None
        self._data.move_to_end(key)
        return found[1]

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

    def _drop(self, key: str) -> None:
        _, _, size = self._data.pop(key)
        self.bytes -= size

    def __len__(self) -> int:
        return len(self._data)
