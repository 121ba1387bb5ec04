"""The observation seam: what providers, caches and limiters report, and who listens.

Callers know nothing of Prometheus or OpenTelemetry: they call `upstream_call`,
`cache_lookup`, `rate_limit_wait` or `breaker_state`. Each request binds an `Observation`
(its id, its sinks, a tracer) in a context variable, which asyncio copies into every task and
callback the request starts, so a DataLoader batch still reports to the request that caused it.
Outside any request the process-wide default observation (installed by the app) listens.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from gateway.observability.stats import RequestStats


class Sink(Protocol):
    """Something that records what the seam reports (metrics, per-request statistics)."""

    def upstream_call(
        self, source: str, provider: str, operation: str, outcome: str, seconds: float
    ) -> None: ...

    def cache_lookup(self, cache: str, source: str, hit: bool) -> None: ...

    def rate_limit_wait(self, key: str, seconds: float) -> None: ...

    def breaker_state(self, source: str, state: str) -> None: ...

    def shared_backend(self, component: str, degraded: bool) -> None: ...

    def operation(
        self, name: str | None, outcome: str, codes: Sequence[str], seconds: float | None
    ) -> None: ...


@dataclass
class Observation:
    """What one request (or the process, outside requests) reports to."""

    request_id: str = field(default_factory=lambda: new_request_id())
    sinks: Sequence[Sink] = ()
    tracer: Any = None  # an opentelemetry Tracer when tracing is configured
    stats: RequestStats | None = None  # this request's upstream work, for extensions.upstream


def new_request_id() -> str:
    return uuid.uuid4().hex


_default = Observation(request_id="-")
_current: ContextVar[Observation | None] = ContextVar("gateway_observation", default=None)


def install_default(observation: Observation) -> None:
    """The process-wide listener for reports made outside any request (the app installs it)."""
    global _default
    _default = observation


def current() -> Observation:
    return _current.get() or _default


def current_request_id() -> str:
    """The bound request's id, or a fresh one where no request is bound."""
    bound = _current.get()
    return bound.request_id if bound is not None else new_request_id()


@contextlib.contextmanager
def bind(observation: Observation) -> Iterator[Observation]:
    """Make `observation` current for this task and everything it starts."""
    token = _current.set(observation)
    try:
        yield observation
    finally:
        _current.reset(token)


def _outcome(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    value = getattr(code, "value", code)
    return str(value) if value else "error"


@contextlib.asynccontextmanager
async def upstream_call(source: str, provider: str, operation: str) -> AsyncIterator[None]:
    """Wrap one upstream call (after retries): counted, timed, traced, by outcome.

    The outcome is `ok` or the error's code (`THROTTLED`, `NOT_FOUND`…), read from a raised
    exception's `code` attribute, so a provider should raise its typed error inside the block.
    """
    obs = current()
    span_cm: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    if obs.tracer is not None:
        span_cm = obs.tracer.start_as_current_span(
            f"{provider} {operation}",
            kind=_client_kind(),
            attributes={
                "rpc.system": provider,
                "rpc.method": operation,
                "gateway.source": source,
            },
        )
    outcome = "ok"
    start = time.perf_counter()
    with span_cm as span:
        try:
            yield
        except BaseException as exc:
            outcome = _outcome(exc)
            if span is not None:
                span.set_attribute("gateway.outcome", outcome)
            raise
        finally:
            seconds = time.perf_counter() - start
            for sink in obs.sinks:
                sink.upstream_call(source, provider, operation, outcome, seconds)


def _client_kind() -> Any:
    from opentelemetry.trace import SpanKind

    return SpanKind.CLIENT


def cache_lookup(cache: str, source: str, hit: bool) -> None:
    """One lookup in a named cache on behalf of `source`: a hit, or a miss that loads."""
    for sink in current().sinks:
        sink.cache_lookup(cache, source, hit)


def rate_limit_wait(key: str, seconds: float) -> None:
    """A call waited `seconds` for its rate-limit bucket (`key` = account and operation)."""
    for sink in current().sinks:
        sink.rate_limit_wait(key, seconds)


def breaker_state(source: str, state: str) -> None:
    """A source's circuit breaker is now `state` (`closed`, `open` or `half-open`)."""
    for sink in current().sinks:
        sink.breaker_state(source, state)


def shared_backend(component: str, degraded: bool) -> None:
    """A Redis user (`cache`, `tokens`, `ratelimit`) fell back to in-process, or came back."""
    for sink in current().sinks:
        sink.shared_backend(component, degraded)


def operation(name: str | None, outcome: str, codes: Sequence[str], seconds: float | None) -> None:
    """One GraphQL operation answered: `outcome` is success, partial or error."""
    for sink in current().sinks:
        sink.operation(name, outcome, codes, seconds)
