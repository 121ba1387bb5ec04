"""OpenTelemetry traces: the operation and its resolvers (Strawberry's extension, made by
`policy.telemetry.tracing_extension`) and every upstream call (spans opened at the provider wire
by `hooks.upstream_call`).

Tracing is off unless `[observability] otlp_endpoint` is set (or a tracer provider is passed,
as tests do with an in-memory exporter): the resolver extension wraps every resolved field, a
cost a gateway serving 80k-field trees pays only when someone reads the traces. The gateway
keeps its own TracerProvider rather than the process-global one, so it never fights a host
application's setup.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Tracer

from gateway.config import ObservabilityConfig

TRACER_NAME = "runs-gateway"


class Tracing:
    """The gateway's tracer provider, its tracer, and the schema extension that uses it."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer(TRACER_NAME)

    @classmethod
    def from_config(
        cls, config: ObservabilityConfig, provider: TracerProvider | None = None
    ) -> Tracing | None:
        """Tracing for `config`, or None when no endpoint (and no provider) is given."""
        if provider is not None:
            return cls(provider)
        if not config.otlp_endpoint:
            return None
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider = TracerProvider(resource=Resource.create({"service.name": config.service_name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(config.otlp_endpoint)))
        return cls(provider)

    @staticmethod
    def attach_remote_parent(headers: Mapping[str, str]) -> object:
        """Continue the caller's trace (W3C `traceparent`); returns a token for `detach`."""
        return otel_context.attach(propagate.extract(headers))

    @staticmethod
    def detach(token: object) -> None:
        otel_context.detach(token)  # type: ignore[arg-type]

    def shutdown(self) -> None:
        self.provider.shutdown()
