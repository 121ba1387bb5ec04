"""Whole answers of read queries, kept in-process until the first upstream result in them expires.

A tree of settled runs is built from results cached for an hour; executing it again costs the
executor ~80k field completions. The answer itself is kept instead, keyed by everything that
shapes it (document, operation, variables, the caller's credentials), and dropped no later than
the earliest-expiring upstream result it was built from, so it is never older than the TTL of
its data. Answers with errors are not kept; `Cache-Control: no-cache` skips this cache too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.cache.backend import ExpiringLRU

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
    h.update(query.encode("utf-8", "surrogatepass"))
    h.update(b"\x00" + (operation or "").encode("utf-8", "surrogatepass"))
    h.update(b"\x00" + orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS))
    for name in IDENTITY_HEADERS:
        value = headers.get(name) if headers is not None else None
        h.update(b"\x00" + (value or "").encode())
    return h.hexdigest()


@dataclass(frozen=True)
class KeptAnswer:
    """One kept answer as it is held: encoded, so what the budget counts is what it costs."""

    encoded: bytes
    estimate: int
    sources: list[str]
    #: The operation's name as executed, for the metrics and audit line of each answer from it.
    operation: str | None = None

    def decode(self) -> tuple[Any, Any]:
        """(data, extensions) as they were kept."""
        body = orjson.loads(self.encoded)
        return body["data"], body.get("extensions")


class ResponseCache(ExpiringLRU):
    """Answers with an expiry each, bounded by entries and bytes. An answer is kept as its JSON
    (orjson): the executed Python objects cost several times their encoding, which a byte budget
    of "encoded sizes" would undercount; decoding one on a hit takes milliseconds, executing it
    again up to seconds."""

    def keep(
        self,
        key: str,
        data: Any,
        extensions: Any,
        estimate: int,
        sources: list[str],
        expires_at: float,
        operation: str | None = None,
    ) -> None:
        body: dict[str, Any] = {"data": data}
        if extensions:
            body["extensions"] = extensions
        encoded = orjson.dumps(body)
        kept = KeptAnswer(encoded, estimate, sources, operation)
        self.put(key, kept, expires_at, len(encoded) + 200)

    def get(self, key: str) -> KeptAnswer | None:
        found = self.entry(key)
        if found is None or not isinstance(found[0], KeptAnswer):
            return None
        return found[0]
