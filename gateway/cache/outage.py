"""Redis loss degrades, it does not fail: each Redis user keeps an in-process stand-in.

When Redis stops answering, the cache serves from memory, the token store keeps new cursors'
tokens in memory (an old cursor whose token only Redis held answers CURSOR_EXPIRED), and the
rate limiter paces against its share of each quota in-process (quota ÷ replicas). `Outage` is
the state machine they share: the first failure is logged once and exported
(`gateway_redis_degraded{component}`), Redis is then left alone for `retry_seconds` so requests
do not each wait on a dead socket, and the first call that succeeds again is the recovery,
logged once. No background task: recovery is noticed by the traffic itself.
"""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError

from gateway.observability import hooks as observe

log = logging.getLogger(__name__)

#: What a lost Redis raises through redis-py (connection refused, reset, timeouts).
REDIS_FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError)


class Outage:
    """Whether one component's Redis is usable now; transitions logged and counted once each."""

    def __init__(self, component: str, retry_seconds: float = 1.0) -> None:
        self.component = component
        self.retry_seconds = retry_seconds
        self.degraded = False
        self._next_try = 0.0

    def available(self) -> bool:
        """True while Redis is up, and once per `retry_seconds` while it is down (a probe)."""
        if not self.degraded:
            return True
        now = time.monotonic()
        if now < self._next_try:
            return False
        self._next_try = now + self.retry_seconds
        return True

    def failed(self, exc: BaseException) -> None:
        self._next_try = time.monotonic() + self.retry_seconds
        if self.degraded:
            return
        self.degraded = True
        log.warning(
            "redis unreachable: %s falls back to in-process until it answers again (%s)",
            self.component,
            type(exc).__name__,
        )
        observe.shared_backend(self.component, degraded=True)

    def succeeded(self) -> None:
        if not self.degraded:
            return
        self.degraded = False
        log.warning("redis answers again: %s is shared through redis again", self.component)
        observe.shared_backend(self.component, degraded=False)
