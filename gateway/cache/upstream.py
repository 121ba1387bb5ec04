"""The cross-request cache of upstream results, with single-flight: one call, however many ask.

Every upstream read (a record by id, a page of a listing) goes through `UpstreamCache.get`:
a cached value is served until its TTL ends; identical calls in flight at once in this process
are made once and shared; the TTL is chosen from the result (settled or live) by the policy;
failures are never kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from gateway.cache.backend import CacheBackend, MemoryBackend

V = TypeVar("V")
#: Keys longer than this are hashed (DataZone tokens run to 8192 characters).
_MAX_KEY = 200


def cache_key(*parts: object) -> str:
    """A stable string key for an upstream call; long ones become a digest of themselves."""
    key = "\x1f".join(map(str, parts))
    if len(key) > _MAX_KEY:
        return key[:64] + "#" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return key


class UpstreamCache:
    """A backend plus in-process single-flight; counts what it saved for tests and benchmarks."""

    def __init__(self, backend: CacheBackend) -> None:
        self.backend = backend
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self._memory = backend if isinstance(backend, MemoryBackend) else None
        self.hits = 0
        self.shared = 0
        self.misses = 0

    async def get(
        self,
        key: str,
        load: Callable[[], Awaitable[V]],
        ttl: Callable[[V], float | Awaitable[float]],
        *,
        fresh: bool = False,
        seen: Callable[[float], None] | None = None,
    ) -> V:
        """The value under `key`, loading it (once across concurrent callers) on a miss.

        `fresh` skips the cached value but still shares a call already in flight (it started
        no earlier than this request) and stores what it loads. `seen` is told when the value
        stops being fresh (monotonic seconds), so whatever is built from it expires no later.
        """
        if not fresh:
            if self._memory is not None:
                cached = self._memory.entry(key)
            else:
                cached = await self.backend.get(key)
            if cached is not None:
                self.hits += 1
                if seen is not None:
                    seen(cached[1])
                return cached[0]  # type: ignore[no-any-return]
        pending = self._inflight.get(key)
        if pending is not None:
            self.shared += 1
            value, expires = await asyncio.shield(pending)
            if seen is not None:
                seen(expires)
            return value  # type: ignore[no-any-return]
        self.misses += 1
        future: asyncio.Future[tuple[Any, float]] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await load()
            kept = ttl(value)
            # A verdict may wait on another read (a batch's runs page on the batch): callers
            # sharing this call wait for it too, so no one stores or serves a guess.
            seconds = kept if isinstance(kept, int | float) else await kept
        except asyncio.CancelledError:
            self._inflight.pop(key, None)
            future.cancel()
            raise
        except BaseException as exc:
            self._inflight.pop(key, None)
            future.set_exception(exc)
            future.exception()  # consumed here: waiters re-raise it, nobody logs it as lost
            raise
        expires = time.monotonic() + max(seconds, 0.0)
        future.set_result((value, expires))
        if seen is not None:
            seen(expires)
        try:
            if seconds > 0:
                await self.backend.set(key, value, seconds)
        finally:
            # Late arrivals share the finished call until the value is in the backend.
            self._inflight.pop(key, None)
        return value

    async def aclose(self) -> None:
        await self.backend.aclose()
