"""AWS DataZone as the registry holds it: lineage jobs' runs in one domain per source."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from gateway.clouds.aws.options import AwsSourceOptions
from gateway.clouds.base import Cloud
from gateway.clouds.datazone.graph import ROOTS, DataZoneJob, DataZoneJobRun, DataZoneQuery
from gateway.clouds.datazone.provider import DataZoneProvider
from gateway.clouds.datazone.states import KIND, STATES
from gateway.config import SourceConfig
from gateway.types import Provider
from gateway.upstream.wiring import Wiring


class DataZoneOptions(AwsSourceOptions):
    """A DataZone source is one domain (`domain_id`) of an account + region.

    `jobs` names the jobs whose runs the run catalogue sweeps: DataZone has no call that
    lists jobs, so the operator says which.
    """

    domain_id: str | None = None
    jobs: list[str] = Field(default_factory=list)


def _providers(sources: Sequence[SourceConfig], wiring: Wiring) -> dict[str, Provider]:
    limits = wiring.settings.limits
    return {
        s.name: DataZoneProvider(s, limits, wiring.gate(s), wiring.guard(s, KIND)) for s in sources
    }


DATAZONE = Cloud(
    STATES,
    DataZoneOptions,
    (DataZoneJob, DataZoneJobRun),
    ROOTS,
    _providers,
    hint="DataZone runs belong to a job: use `dataZoneJob(source:, id:) { runs }`",
    query_fields=DataZoneQuery,
    run_type=DataZoneJobRun,
)
