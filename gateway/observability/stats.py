"""Per-request upstream statistics, returned as `extensions.upstream` when a client asks.

A client sends header `X-Upstream-Stats: 1` or `"extensions": {"upstreamStats": true}` and the
response says, per source, how many upstream calls the query made (and how many failed), how
many page-cache lookups hit, and the summed upstream time — what the query cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _SourceStats:
    calls: int = 0
    errors: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    seconds: float = 0.0
    operations: dict[str, int] = field(default_factory=dict)


class RequestStats:
    """A `hooks.Sink` that keeps one request's upstream work by source."""

    def __init__(self) -> None:
        self._sources: dict[str, _SourceStats] = {}

    def _of(self, source: str) -> _SourceStats:
        found = self._sources.get(source)
        if found is None:
            found = self._sources[source] = _SourceStats()
        return found

    def upstream_call(
        self, source: str, provider: str, operation: str, outcome: str, seconds: float
    ) -> None:
        s = self._of(source)
        s.calls += 1
        s.errors += outcome != "ok"
        s.seconds += seconds
        s.operations[operation] = s.operations.get(operation, 0) + 1

    def cache_lookup(self, cache: str, source: str, hit: bool) -> None:
        s = self._of(source)
        if hit:
            s.cache_hits += 1
        else:
            s.cache_misses += 1

    def rate_limit_wait(self, key: str, seconds: float) -> None:
        return None

    def breaker_state(self, source: str, state: str) -> None:
        return None

    def shared_backend(self, component: str, degraded: bool) -> None:
        return None

    def operation(
        self, name: str | None, outcome: str, codes: Sequence[str], seconds: float | None
    ) -> None:
        return None

    @property
    def total_calls(self) -> int:
        return sum(s.calls for s in self._sources.values())

    def as_extension(self) -> dict[str, Any]:
        """The JSON for `extensions.upstream`: totals and, per source, calls by operation."""
        sources = {
            name: {
                "calls": s.calls,
                "errors": s.errors,
                "cacheHits": s.cache_hits,
                "cacheMisses": s.cache_misses,
                "timeMs": round(s.seconds * 1000, 3),
                "operations": dict(sorted(s.operations.items())),
            }
            for name, s in sorted(self._sources.items())
        }
        return {
            "calls": self.total_calls,
            "cacheHits": sum(s.cache_hits for s in self._sources.values()),
            "timeMs": round(sum(s.seconds for s in self._sources.values()) * 1000, 3),
            "sources": sources,
        }
