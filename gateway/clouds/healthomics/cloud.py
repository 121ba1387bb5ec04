"""AWS HealthOmics as the registry holds it: batches → runs → tasks."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.clouds.aws.options import AwsSourceOptions
from gateway.clouds.healthomics.graph import (
    HealthOmicsBatch,
    HealthOmicsRoots,
    HealthOmicsRun,
    HealthOmicsTask,
)
from gateway.clouds.healthomics.provider import HealthOmicsProvider
from gateway.clouds.healthomics.states import KIND, STATES
from gateway.config import SourceConfig
from gateway.types import Provider
from gateway.upstream.wiring import Wiring


class HealthOmicsCloud:
    kind = KIND
    options = AwsSourceOptions
    states = STATES
    node_types = (HealthOmicsBatch, HealthOmicsRun, HealthOmicsTask)
    roots = HealthOmicsRoots()
    batches = roots
    run_lists = roots
    hint = ""
    query_fields = None
    #: A processed batch shows a whole tree (the newest may have no runs yet).
    example_batch_filter = ', status: "PROCESSED"'

    def providers(self, sources: Sequence[SourceConfig], wiring: Wiring) -> dict[str, Provider]:
        limits = wiring.settings.limits
        return {
            s.name: HealthOmicsProvider(s, limits, wiring.gate(s), wiring.guard(s, KIND))
            for s in sources
        }


HEALTHOMICS = HealthOmicsCloud()
