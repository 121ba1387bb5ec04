"""Tencent Cloud Omics as the registry holds it: run groups → runs → calls."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.clouds.base import Cloud
from gateway.clouds.tencent.calls import TencentRunCall
from gateway.clouds.tencent.graph import TencentRoots, TencentRun, TencentRunGroup
from gateway.clouds.tencent.provider import TencentOmicsProvider
from gateway.clouds.tencent.states import KIND, STATES
from gateway.clouds.tencent.wire import TencentWire
from gateway.config import SourceConfig, SourceOptions
from gateway.ratelimit.rolling import RollingWindowRateLimiter
from gateway.types import Provider
from gateway.upstream.wiring import Wiring


class TencentOptions(SourceOptions):
    """Without `project_id` the region's default project is used, as the API does."""

    project_id: str | None = None


def _providers(sources: Sequence[SourceConfig], wiring: Wiring) -> dict[str, Provider]:
    # One rolling window for all of them: sources naming one account share its quota.
    rates = RollingWindowRateLimiter()
    limits, ttl = wiring.settings.limits, wiring.settings.cache.page_ttl_seconds
    wires = (TencentWire(s, limits, wiring.gate(s), rates, wiring.guard(s, KIND)) for s in sources)
    return {w.config.name: TencentOmicsProvider(w, wiring.cache, ttl) for w in wires}


_ROOTS = TencentRoots()
TENCENT_OMICS = Cloud(
    STATES,
    TencentOptions,
    (TencentRunGroup, TencentRun, TencentRunCall),
    _ROOTS,
    _providers,
    # The newest run group already has runs and calls.
    example_batch_filter="",
)
