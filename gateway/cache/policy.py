"""How long an upstream result may be served from cache: long when settled, short when live.

Settled runs and batches rarely change, so their records and listings keep for an hour by
default; anything live keeps for seconds; errors never keep. A client that must see the latest
(a refresh button) sends `Cache-Control: no-cache`: reads skip the cache, answers still refill it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.config import CacheConfig

#: Whether a result is settled: a fixed answer from the caller, or judged from the result itself
#: (asynchronously where the verdict waits on another read, as a batch's runs on the batch).
Settled = bool | Callable[[Any], bool] | Callable[[Any], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class TtlPolicy:
    """Seconds to keep a record or a page, by whether it is settled."""

    settled: float
    live: float
    live_page: float

    @classmethod
    def from_config(cls, cfg: CacheConfig) -> TtlPolicy:
        return cls(cfg.settled_ttl_seconds, cfg.live_ttl_seconds, cfg.page_ttl_seconds)

    def record(self, settled: bool) -> float:
        return self.settled if settled else self.live

    def page(self, settled: bool) -> float:
        return self.settled if settled else self.live_page


def judge(settled: Settled, value: Any) -> bool:
    """Apply a synchronous `Settled` hint to a fetched value."""
    verdict = settled(value) if callable(settled) else settled
    assert isinstance(verdict, bool), "an asynchronous verdict goes through `page_ttl`"
    return verdict


def page_ttl(policy: TtlPolicy, settled: Settled, page: Any) -> float | Awaitable[float]:
    """Seconds to keep a page; awaitable when its verdict waits on another read."""
    verdict = settled(page) if callable(settled) else settled
    if isinstance(verdict, bool):
        return policy.page(verdict)

    async def later(pending: Awaitable[bool]) -> float:
        return policy.page(await pending)

    return later(verdict)


def wants_fresh(headers: Mapping[str, str] | None) -> bool:
    """True when the request's `Cache-Control` (or `Pragma`) asks for no cached answers."""
    if headers is None:
        return False
    control = (headers.get("cache-control") or "").lower().replace(" ", "")
    directives = set(control.split(","))
    if directives & {"no-cache", "no-store", "max-age=0"}:
        return True
    return (headers.get("pragma") or "").lower().strip() == "no-cache"
