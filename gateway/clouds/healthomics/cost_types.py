"""HealthOmics cost and utilisation in the schema: every figure an estimate naming its price."""

from __future__ import annotations

import strawberry

from gateway.graph.costs import RunCost

ESTIMATE = strawberry.field(
    default=True, description="Always true: figures are estimates from list prices."
)


@strawberry.type(description="What a task reserved and used (run manifest metrics).")
class HealthOmicsTaskUsage:
    cpus_reserved: float | None
    cpus_maximum: float | None = strawberry.field(description="Peak over 1-minute intervals.")
    cpus_average: float | None
    memory_reserved_gib: float | None = strawberry.field(name="memoryReservedGiB")
    memory_maximum_gib: float | None = strawberry.field(name="memoryMaximumGiB")
    memory_average_gib: float | None = strawberry.field(name="memoryAverageGiB")
    gpus_reserved: float | None
    running_seconds: float | None = strawberry.field(description="Stop time − start time.")
    cpu_utilization: float | None = strawberry.field(description="cpusMaximum ÷ cpusReserved.")
    memory_utilization: float | None = strawberry.field(
        description="memoryMaximumGiB ÷ memoryReservedGiB."
    )


@strawberry.type(description="A task's compute cost: hourly price × max(60 s, running) / 3600.")
class HealthOmicsTaskCost:
    usd: float | None = strawberry.field(description="Null when a price or a time is missing.")
    billed_seconds: float | None
    instance_type: str | None
    price_source: str | None = strawberry.field(
        description="`api` (AWS Price List API) or `table:<date>` (the shipped table)."
    )
    reason: str | None = strawberry.field(description="Why `usd` is null, when it is.")
    estimate: bool = ESTIMATE


@strawberry.type(description="The smallest omics.{c,m,r} instance holding the task's peaks.")
class HealthOmicsRecommendation:
    instance_type: str | None = strawberry.field(
        description="GPU tasks, and tasks without peaks, keep their reserved type."
    )
    usd: float | None
    savings_usd: float | None = strawberry.field(description="Current cost − this cost.")
    price_source: str | None
    reason: str | None
    estimate: bool = ESTIMATE


@strawberry.type(description="A run's storage as charged (STATIC or DYNAMIC).")
class HealthOmicsStorageUsage:
    storage_type: str | None
    reserved_gib: float | None = strawberry.field(name="reservedGiB")
    maximum_gib: float | None = strawberry.field(name="maximumGiB")
    average_gib: float | None = strawberry.field(name="averageGiB")
    charged_gib: float | None = strawberry.field(
        name="chargedGiB",
        description="STATIC: 1200, or capacity rounded up to 2400s; DYNAMIC: the average.",
    )
    utilization: float | None = strawberry.field(description="maximumGiB ÷ reservedGiB.")
    running_seconds: float | None


@strawberry.type(description="A settled run's estimated cost: its tasks plus its storage.")
class HealthOmicsRunCost(RunCost):
    total_usd: float | None = strawberry.field(
        description="Null unless the run is settled; partial sums say `complete: false`."
    )
    complete: bool = strawberry.field(
        description="False when a price, a time or a storage figure was missing."
    )
    reason: str | None = strawberry.field(description="Why figures are null or partial.")
    compute_usd: float | None
    storage_usd: float | None
    price_sources: list[str]
    storage: HealthOmicsStorageUsage | None
    estimate: bool = ESTIMATE


@strawberry.type(description="A batch's estimated cost: the sum over its settled runs.")
class HealthOmicsBatchCost:
    compute_usd: float
    storage_usd: float
    total_usd: float
    complete: bool = strawberry.field(
        description="False when a run has no cost yet (not settled) or a figure was missing."
    )
    runs_counted: int
    runs_without_cost: int
    price_sources: list[str]
    estimate: bool = ESTIMATE
