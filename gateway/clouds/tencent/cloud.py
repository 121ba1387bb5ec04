"""Tencent Cloud Omics as the registry holds it: run groups → runs → calls."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.clouds.tencent.calls import TencentRunCall
from gateway.clouds.tencent.graph import TencentRoots, TencentRun, TencentRunGroup
from gateway.clouds.tencent.provider import TencentOmicsProvider
from gateway.clouds.tencent.states import KIND, STATES
from gateway.config import SourceConfig, SourceOptions
from gateway.ratelimit.rolling import RollingWindowRateLimiter
from gateway.types import Provider
from gateway.upstream.wiring import Wiring


class TencentOptions(SourceOptions):
    """Without `project_id` the region's default project is used, as the API does."""

    project_id: str | None = None


class TencentCloud:
    kind = KIND
    options = TencentOptions
    states = STATES
    node_types = (TencentRunGroup, TencentRun, TencentRunCall)
    roots = TencentRoots()
    batches = roots
    run_lists = roots
    hint = ""
    query_fields = None
    #: The newest run group already has runs and calls.
    example_batch_filter = ""

    def providers(self, sources: Sequence[SourceConfig], wiring: Wiring) -> dict[str, Provider]:
        # One rolling window for all of them: sources naming one account share its quota.
        rates = RollingWindowRateLimiter()
        limits = wiring.settings.limits
        return {
            s.name: TencentOmicsProvider(
                s,
                limits,
                wiring.gate(s),
                rates,
                wiring.cache,
                guard=wiring.guard(s, KIND),
                calls_ttl_seconds=wiring.settings.cache.page_ttl_seconds,
            )
            for s in sources
        }


TENCENT_OMICS = TencentCloud()
