"""Prometheus metrics: requests, GraphQL errors, upstream calls, caches, rate limits, breakers.

One `Metrics` per app with its own registry, so two apps in one process (tests) never share
counters; `/metrics` renders it in the text exposition format.

Under `gateway serve --workers N` the supervisor sets `PROMETHEUS_MULTIPROC_DIR` (a private
directory) before it starts the workers: prometheus-client then keeps every value in a file per
process there, and any worker's `/metrics` renders all of them merged (counters and histograms
summed, gauges as their `multiprocess_mode` says), with the same names and labels.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

#: Set (by gateway/workers) in every worker's environment before prometheus-client is imported.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Upstream APIs answer in milliseconds to seconds; the last buckets catch hangs up to the deadline.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BREAKER_STATES = ("closed", "open", "half-open")


class Metrics:
    """The gateway's Prometheus metrics; also a `hooks.Sink`."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        shared = os.environ.get(MULTIPROC_ENV)
        #: Workers' metrics are read back from the shared directory (every process's files), so
        #: this process's own metric objects are registered nowhere (they would count it twice).
        self.multiprocess = bool(shared)
        if shared:
            MultiProcessCollector(self.registry, path=shared)  # type: ignore[no-untyped-call]
        r = None if shared else self.registry
        self.requests = Counter(
            "gateway_graphql_requests",
            "GraphQL operations by operation name and outcome (success, partial, error).",
            ["operation", "outcome"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "gateway_graphql_request_seconds",
            "Time to answer a GraphQL operation.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "gateway_graphql_errors", "GraphQL errors by extensions.code.", ["code"], registry=r
        )
        self.upstream_calls = Counter(
            "gateway_upstream_calls",
            "Upstream API calls by source, operation and outcome (ok or the error code).",
            ["source", "provider", "operation", "outcome"],
            registry=r,
        )
        self.upstream_seconds = Histogram(
            "gateway_upstream_call_seconds",
            "Upstream call latency, retries included.",
            ["source", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.cache = Counter(
            "gateway_cache_lookups",
            "Cache lookups by cache, source and result (hit or miss).",
            ["cache", "source", "result"],
            registry=r,
        )
        self.rate_limit_waits = Counter(
            "gateway_rate_limit_waits",
            "Upstream calls that waited for their rate-limit bucket.",
            ["key"],
            registry=r,
        )
        self.rate_limit_wait_seconds = Counter(
            "gateway_rate_limit_wait_seconds",
            "Total time upstream calls waited for their rate-limit bucket.",
            ["key"],
            registry=r,
        )
        self.breaker = Gauge(
            "gateway_breaker_state",
            "1 for each source's current circuit-breaker state, 0 for the others.",
            ["source", "state"],
            registry=r,
            # Breakers are per process: a state any live worker is in reads 1.
            multiprocess_mode="livemax",
        )
        self.redis_degraded = Gauge(
            "gateway_redis_degraded",
            "1 while a Redis user (cache, tokens, ratelimit) runs on its in-process fallback.",
            ["component"],
            registry=r,
            multiprocess_mode="livemax",  # 1 while any live worker runs on its fallback
        )
        self.redis_transitions = Counter(
            "gateway_redis_transitions",
            "Times a Redis user fell back to in-process (`to=memory`) or came back (`to=redis`).",
            ["component", "to"],
            registry=r,
        )
        self.worker_requests = Gauge(
            "gateway_worker_requests",
            "HTTP requests this process has begun serving; one sample per live worker (`pid`) "
            "under `serve --workers N`, so an uneven spread shows.",
            registry=r,
            multiprocess_mode="liveall",
        )

    # -- requests (called by the schema's telemetry extension and the HTTP layer) ---------------

    def operation(
        self, name: str | None, outcome: str, codes: Sequence[str], seconds: float | None
    ) -> None:
        label = name or "anonymous"
        self.requests.labels(label, outcome).inc()
        if seconds is not None:
            self.request_seconds.labels(label).observe(seconds)
        for code in codes:
            self.errors.labels(code).inc()

    # -- hooks.Sink -------------------------------------------------------------------------------

    def upstream_call(
        self, source: str, provider: str, operation: str, outcome: str, seconds: float
    ) -> None:
        self.upstream_calls.labels(source, provider, operation, outcome).inc()
        self.upstream_seconds.labels(source, operation).observe(seconds)

    def cache_lookup(self, cache: str, source: str, hit: bool) -> None:
        self.cache.labels(cache, source, "hit" if hit else "miss").inc()

    def rate_limit_wait(self, key: str, seconds: float) -> None:
        self.rate_limit_waits.labels(key).inc()
        self.rate_limit_wait_seconds.labels(key).inc(seconds)

    def breaker_state(self, source: str, state: str) -> None:
        for known in {*BREAKER_STATES, state}:
            self.breaker.labels(source, known).set(1.0 if known == state else 0.0)

    def shared_backend(self, component: str, degraded: bool) -> None:
        self.redis_degraded.labels(component).set(1.0 if degraded else 0.0)
        self.redis_transitions.labels(component, "memory" if degraded else "redis").inc()

    def request_started(self) -> None:
        self.worker_requests.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
