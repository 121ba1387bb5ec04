"""The sync's own pace: at most `[catalog] quota_share` of each operation's paced rate.

User queries and the sync share one upstream quota. The providers' guards already hold every
call to the account's paced rate; the sync waits first on a bucket of its own at `share` of
that rate, so however busy it is, at least `1 − share` of every quota stays for users.
"""

from __future__ import annotations

from gateway.clouds.tencent.states import KIND as TC
from gateway.config import Settings, SourceConfig
from gateway.guards import rate_for
from gateway.ratelimit import MemoryRateLimiter, RateLimiter


class Pacer:
    """Waits before each sync call of one source until it fits the sync's share."""

    def __init__(
        self, settings: Settings, source: SourceConfig, limiter: RateLimiter | None = None
    ) -> None:
        self.settings = settings
        self.source = source
        self.limiter: RateLimiter = limiter or MemoryRateLimiter()
        self.calls = 0

    def rate(self, operation: str) -> float:
        """Calls/s the sync may spend on `operation` of this source's account."""
        limits, cfg = self.settings.limits, self.settings.catalog
        if self.source.provider == TC.value:
            quota: float | None = float(limits.tencent_requests_per_second)
        else:
            quota = rate_for(limits.upstream_rates, self.source.provider, operation)
        if quota is None:
            quota = cfg.fallback_rate
        return quota * limits.upstream_rate_headroom * cfg.quota_share

    async def __call__(self, operation: str) -> None:
        self.calls += 1
        key = f"catalog:{self.source.account_key}:{operation}"
        await self.limiter.acquire(key, self.rate(operation), 1.0)
