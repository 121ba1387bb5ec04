"""AWS HealthOmics as the registry holds it: batches → runs → tasks."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.clouds.aws.options import AwsSourceOptions
from gateway.clouds.base import Cloud
from gateway.clouds.healthomics.events import EVENTS
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


class HealthOmicsOptions(AwsSourceOptions):
    """`events_queue_url`: this source's own EventBridge queue (see `[events]`)."""

    events_queue_url: str | None = None


def _providers(sources: Sequence[SourceConfig], wiring: Wiring) -> dict[str, Provider]:
    limits = wiring.settings.limits
    return {
        s.name: HealthOmicsProvider(s, limits, wiring.gate(s), wiring.guard(s, KIND))
        for s in sources
    }


_ROOTS = HealthOmicsRoots()
HEALTHOMICS = Cloud(
    STATES,
    HealthOmicsOptions,
    (HealthOmicsBatch, HealthOmicsRun, HealthOmicsTask),
    _ROOTS,
    _providers,
    # A processed batch shows a whole tree (the newest may have no runs yet).
    example_batch_filter=', status: "PROCESSED"',
    run_type=HealthOmicsRun,
    events=EVENTS,
)
