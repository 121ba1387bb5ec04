"""The catalogue's GraphQL vocabulary: filters, orders, stats groups and freshness."""

from __future__ import annotations

import enum
from datetime import date, datetime

import strawberry

from gateway.graph.provider import Provider
from gateway.states import RunState
from gateway.types import ProviderKind


@strawberry.enum(description="What `searchRuns` orders by.")
class RunOrderField(enum.Enum):
    CREATED_AT = "CREATED_AT"
    STARTED_AT = "STARTED_AT"
    STOPPED_AT = "STOPPED_AT"
    DURATION = "DURATION"
    NAME = "NAME"


@strawberry.enum
class OrderDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum(description="What `runStats` groups by (DAY: the UTC day a run was created).")
class RunStatsKey(enum.Enum):
    SOURCE = "SOURCE"
    PROVIDER = "PROVIDER"
    STATE = "STATE"
    WORKFLOW = "WORKFLOW"
    DAY = "DAY"


@strawberry.input(description="A key = value tag a run must carry.")
class TagFilter:
    key: str
    value: str


@strawberry.input(description="Which catalogued runs; every field narrows (AND).")
class RunFilter:
    sources: list[str] | None = None
    providers: list[Provider] | None = None
    states: list[RunState] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    stopped_after: datetime | None = None
    stopped_before: datetime | None = None
    name_contains: str | None = None
    workflow: str | None = strawberry.field(
        default=None,
        description="HealthOmics workflowId, Tencent ApplicationId or DataZone jobId.",
    )
    batch_id: str | None = None
    tags: list[TagFilter] | None = None
    include_deleted: bool = False


@strawberry.input
class RunOrder:
    field: RunOrderField = RunOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC


_WITHIN = (
    "within 4.9% (relative) of the exact value when the sync's histogram rollups answer "
    "(the bucket holding it grows by 1.1; durations under 10 ms are exact); exact when the "
    "filter names `nameContains`, `tags`, `batchId`, a stopped window or an empty `workflow`"
)


@strawberry.type(
    description="Durations (stopped − started, seconds) of the group's runs that have both."
)
class DurationStats:
    p50: float | None = strawberry.field(description=f"Nearest-rank median, {_WITHIN}.")
    p95: float | None = strawberry.field(description=f"Nearest-rank 95th percentile, {_WITHIN}.")
    max: float | None = strawberry.field(description=f"Longest, {_WITHIN}.")


@strawberry.type(description="One group of `runStats`; keys not grouped by are null.")
class RunStatsGroup:
    source: str | None
    provider: ProviderKind | None = strawberry.field(graphql_type=Provider | None)
    state: RunState | None
    workflow: str | None
    day: date | None
    count: int
    duration_seconds: DurationStats


@strawberry.type(description="How fresh the catalogue is for one source.")
class CatalogSource:
    source: str
    last_sweep_at: datetime | None
    lag_seconds: float | None
    runs: int
    settled_runs_with_tasks: int
    last_error: str | None


@strawberry.type(description="The run catalogue: a durable, cross-source copy of runs.")
class CatalogInfo:
    enabled: bool
    sources: list[CatalogSource]


# -- validation ---------------------------------------------------------------------------------
