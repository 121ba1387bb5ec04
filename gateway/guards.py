"""Upstream resilience at the wire: per-query deadline, client-side rates, a circuit breaker.

Every provider's wire runs each logical upstream call through its source's `SourceGuard`:
calls after the query's deadline fail fast (UPSTREAM_TIMEOUT), a source whose circuit is open
fails fast (UPSTREAM_UNAVAILABLE) until a probe after the cool-down succeeds, and every
HTTP attempt (retries included) waits for its account's rate limit, so the gateway never sends
upstream more than the documented quota. Knows no GraphQL: the schema opens a `CallBudget` per
query in a context variable and reads what it counted.
"""

from __future__ import annotations

import asyncio
import contextvars
import enum
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from gateway.config import LimitsConfig, SourceConfig
from gateway.errors import ErrorCode, GatewayError, UpstreamError
from gateway.observability import hooks as observe
from gateway.ratelimit import MemoryRateLimiter, RateLimiter, bucket_key
from gateway.types import ProviderKind

T = TypeVar("T")

#: Failures that say "the source is down"; throttling and client errors do not open a circuit.
_OUTAGE = frozenset({ErrorCode.UPSTREAM_UNAVAILABLE, ErrorCode.UPSTREAM_TIMEOUT})


@dataclass
class CallBudget:
    """One query's upstream allowance and tally: its deadline and the calls made per source."""

    deadline: float | None = None
    calls: Counter[str] = field(default_factory=Counter)

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    @property
    def total(self) -> int:
        return sum(self.calls.values())


_BUDGET: contextvars.ContextVar[CallBudget | None] = contextvars.ContextVar(
    "gateway_call_budget", default=None
)


@contextmanager
def call_budget(deadline_seconds: float | None) -> Iterator[CallBudget]:
    """Open a budget for the calls made in this context (tasks started inside inherit it)."""
    deadline = None if deadline_seconds is None else time.monotonic() + deadline_seconds
    budget = CallBudget(deadline)
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


@contextmanager
def restore_budget(budget: CallBudget | None) -> Iterator[None]:
    """Re-enter an operation's budget for work it left for later (`@defer`/`@stream` parts)."""
    if budget is None or _BUDGET.get() is budget:
        yield
        return
    token = _BUDGET.set(budget)
    try:
        yield
    finally:
        _BUDGET.reset(token)


def current_budget() -> CallBudget | None:
    return _BUDGET.get()


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """Opens after `failures` consecutive outages; after `cooldown` lets one probe through.

    A well-kept library (pybreaker, aiobreaker) would do, but their async support is either
    tornado-bound or unmaintained; this is the few lines the gateway needs.
    """

    def __init__(
        self,
        failures: int,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
        name: str = "",
    ) -> None:
        self.threshold = failures
        self.cooldown = cooldown
        self._clock = clock
        self.name = name
        self._state = BreakerState.CLOSED
        self.consecutive = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        return self._state

    @state.setter
    def state(self, value: BreakerState) -> None:
        if value is not self._state and self.name:
            observe.breaker_state(self.name, value.value)  # the /metrics gauge follows it
        self._state = value

    def allow(self) -> bool:
        """Whether a call may go upstream now (at most one probe while half-open)."""
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN:
            if self._clock() - self._opened_at < self.cooldown:
                return False
            self.state = BreakerState.HALF_OPEN
            self._probing = False
        if self._probing:
            return False
        self._probing = True
        return True

    def success(self) -> None:
        self.state = BreakerState.CLOSED
        self.consecutive = 0
        self._probing = False

    def failure(self) -> None:
        self.consecutive += 1
        if self.state is BreakerState.HALF_OPEN or self.consecutive >= self.threshold:
            self.state = BreakerState.OPEN
            self._opened_at = self._clock()
            self._probing = False

    def release(self) -> None:
        """A probe ended without telling us anything (cancelled, client error): let another."""
        self._probing = False


def rate_for(rates: dict[str, float], provider: str, operation: str) -> float | None:
    """The configured calls/s for `provider:operation`, else `provider:*`, else None."""
    found = rates.get(f"{provider}:{operation}")
    return found if found is not None else rates.get(f"{provider}:*")


def pacing_burst(rate: float) -> float:
    """The burst our bucket allows for a quota of `rate` calls/s: half of it, at least one.

    AWS holds its quotas as token buckets whose burst is the rate (10/s: 10 at once, then 10
    a second), so a bucket of the same shape with a smaller burst and rate stays inside it
    whatever the order of calls. The spare half absorbs arrival jitter: calls our bucket lets
    out spaced may reach AWS bunched up (a busy event loop sends them late, together) by up to
    (burst − ours) ÷ paced rate ≈ 0.5 s and still fit. Pacing evenly (burst 1) cost a run of
    100 calls ≈ 20% over the quota's floor; this, about 5%.
    """
    return max(1.0, float(int(rate / 2)))


class SourceGuard:
    """The resilience of one source: its breaker, its account's rates and its last state."""

    def __init__(
        self,
        source: SourceConfig,
        limits: LimitsConfig,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        kind: ProviderKind | None = None,
    ) -> None:
        self.kind = kind
        self.source = source
        self.limits = limits
        self.limiter: RateLimiter = limiter or MemoryRateLimiter()
        self.breaker = CircuitBreaker(
            limits.breaker_failures, limits.breaker_cooldown_seconds, clock, name=source.name
        )
        self.last_ok: bool | None = None
        #: Called as hook(source, operation, outcome code or "ok", seconds) after every call.
        self.observers: list[Callable[[str, str, str, float], None]] = []

    @property
    def state(self) -> str:
        """`unknown` before first contact, then `ok`, `failing` or `open` (never calls out)."""
        if self.breaker.state is not BreakerState.CLOSED:
            return "open"
        if self.last_ok is None:
            return "unknown"
        return "ok" if self.last_ok else "failing"

    def _error(self, message: str, code: ErrorCode) -> UpstreamError:
        return UpstreamError(message, code, source=self.source.name, provider=self.kind)

    async def throttle(self, operation: str) -> None:
        """Wait until one more HTTP request for `operation` fits the account's quota."""
        rate = rate_for(self.limits.upstream_rates, self.source.provider, operation)
        if rate is None:
            return
        paced = rate * self.limits.upstream_rate_headroom
        await self.limiter.acquire(
            bucket_key(self.source.account_key, operation), paced, pacing_burst(rate)
        )

    async def call(self, operation: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Run one logical upstream call under the query's deadline and the source's breaker."""
        budget = current_budget()
        remaining = budget.remaining() if budget is not None else None
        if remaining is not None and remaining <= 0:
            raise self._error(
                "the query's upstream deadline has passed", ErrorCode.UPSTREAM_TIMEOUT
            )
        if not self.breaker.allow():
            raise self._error(
                "source is failing; calls resume after a successful probe",
                ErrorCode.UPSTREAM_UNAVAILABLE,
            )
        if budget is not None:
            budget.calls[self.source.name] += 1
        started = time.monotonic()
        outcome = "ok"
        try:
            if remaining is None:
                result = await fn()
            else:
                try:
                    async with asyncio.timeout(remaining):
                        result = await fn()
                except TimeoutError:
                    raise self._error(
                        "the query's upstream deadline has passed", ErrorCode.UPSTREAM_TIMEOUT
                    ) from None
        except GatewayError as exc:
            outcome = exc.code.value
            if exc.code in _OUTAGE:
                self.last_ok = False
                self.breaker.failure()
            else:  # the source answered: it is up
                self.last_ok = True
                self.breaker.success()
            raise
        except BaseException:
            outcome = "cancelled"
            self.breaker.release()
            raise
        else:
            self.last_ok = True
            self.breaker.success()
            return result
        finally:
            elapsed = time.monotonic() - started
            for observe in self.observers:
                observe(self.source.name, operation, outcome, elapsed)


class Guards:
    """The guards of every source, sharing one rate limiter so accounts share budgets."""

    def __init__(self, limits: LimitsConfig, limiter: RateLimiter | None = None) -> None:
        self.limits = limits
        self.limiter: RateLimiter = limiter or MemoryRateLimiter()
        self._guards: dict[str, SourceGuard] = {}

    def for_source(self, source: SourceConfig, kind: ProviderKind | None = None) -> SourceGuard:
        found = self._guards.get(source.name)
        if found is None:
            guard = SourceGuard(source, self.limits, self.limiter, kind=kind)
            found = self._guards[source.name] = guard
        return found

    def states(self) -> dict[str, str]:
        return {name: g.state for name, g in self._guards.items()}
