"""Traces: a tree query yields the operation's span and one client span per upstream call,
all in one trace (the caller's, when it sends `traceparent`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway.app import create_app
from gateway.config import ObservabilityConfig
from gateway.observability.tracing import Tracing
from tests.conftest import Gateway, Upstreams, settings_for
from tests.observability.test_metrics import busy_batch

TREE = """
query Tree($batch: String!) {
  batch(source: "aws", id: $batch) {
    name
    runs(first: 3) { edges { node { name tasks(first: 2) { edges { node { name } } } } } }
  }
}
"""


@dataclass
class Traced:
    gateway: Gateway
    exporter: InMemorySpanExporter


@pytest.fixture
async def traced(upstreams: Upstreams) -> AsyncIterator[Traced]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(settings_for(upstreams.url), tracer_provider=provider)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield Traced(Gateway(client, app, upstreams), exporter)


def _upstream(spans: tuple[ReadableSpan, ...]) -> list[ReadableSpan]:
    return [s for s in spans if s.kind is SpanKind.CLIENT]


async def test_tree_query_spans_operation_and_upstream_calls(traced: Traced) -> None:
    gw = traced.gateway
    batch_id = busy_batch(gw)
    gw.reset_calls()
    await gw.data(TREE, batch=batch_id)
    spans = traced.exporter.get_finished_spans()

    (operation,) = [s for s in spans if s.name == "GraphQL Query: Tree"]
    upstream = _upstream(spans)
    counted = Counter(f"omics:{s.attributes['rpc.method']}" for s in upstream if s.attributes)
    assert dict(counted) == gw.calls()
    assert {s.name for s in upstream} >= {
        "healthomics GetBatch",
        "healthomics ListRunsInBatch",
        "healthomics ListRunTasks",
    }
    assert operation.context is not None
    trace_id = operation.context.trace_id
    assert {s.context.trace_id for s in spans if s.context} == {trace_id}
    # Each upstream span hangs under a resolver span of this operation.
    by_id = {s.context.span_id: s for s in spans if s.context}
    for span in upstream:
        assert span.parent is not None and span.parent.span_id in by_id
        assert span.attributes and span.attributes["gateway.source"] == "aws"


async def test_caller_trace_is_continued(traced: Traced) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    resp = await traced.gateway.client.post(
        "/graphql",
        json={"query": "query Sources { sources { name } }"},
        headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
    )
    assert resp.status_code == 200
    (operation,) = [
        s for s in traced.exporter.get_finished_spans() if s.name == "GraphQL Query: Sources"
    ]
    assert operation.context is not None
    assert f"{operation.context.trace_id:032x}" == trace_id


def test_tracing_only_with_an_endpoint() -> None:
    assert Tracing.from_config(ObservabilityConfig()) is None
    tracing = Tracing.from_config(
        ObservabilityConfig(otlp_endpoint="http://127.0.0.1:4318/v1/traces", service_name="gw")
    )
    assert tracing is not None
    assert tracing.provider.resource.attributes["service.name"] == "gw"
    tracing.shutdown()  # nothing was recorded, so nothing is sent
