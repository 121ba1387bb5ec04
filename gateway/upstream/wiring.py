"""What a cloud's provider factory is handed: the app-wide pieces every source shares.

`Upstream.from_settings` asks each cloud of the registry for the providers of its sources,
so it never names a cloud; a cloud defined outside `gateway/` is built the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from gateway.cache.upstream import UpstreamCache
from gateway.config import Settings, SourceConfig
from gateway.guards import Guards, SourceGuard
from gateway.types import Provider, ProviderKind


@dataclass
class Wiring:
    """Shared by every source of one app: limits, guards, the upstream cache, account gates."""

    settings: Settings
    guards: Guards
    cache: UpstreamCache
    _gates: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def gate(self, source: SourceConfig) -> asyncio.Semaphore:
        """The concurrency cap of the source's upstream account (sources may share one)."""
        cap = self.settings.limits.concurrency_per_account
        return self._gates.setdefault(source.account_key, asyncio.Semaphore(cap))

    def guard(self, source: SourceConfig, kind: ProviderKind) -> SourceGuard:
        return self.guards.for_source(source, kind)


class ProviderFactory(Protocol):
    """The part of a cloud the upstream layer needs: its kind and how to build its providers."""

    @property
    def kind(self) -> ProviderKind: ...

    def providers(self, sources: Sequence[SourceConfig], wiring: Wiring) -> dict[str, Provider]:
        """One provider per source (all of this cloud's kind), sharing what the cloud shares."""
        ...
