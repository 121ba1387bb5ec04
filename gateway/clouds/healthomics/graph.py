"""AWS HealthOmics in the schema: batches, their runs (with submissions) and run tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.clouds.healthomics import diagnostics_fields as fields
from gateway.clouds.healthomics.batch_runs import BatchRunFilters, read_runs_ahead, runs_page
from gateway.clouds.healthomics.cost_types import (
    HealthOmicsBatchCost,
    HealthOmicsRecommendation,
    HealthOmicsRunCost,
    HealthOmicsTaskCost,
    HealthOmicsTaskUsage,
)
from gateway.clouds.healthomics.diagnostics_fields import CALLS
from gateway.clouds.healthomics.loaders import (
    load_batch,
    load_run,
    load_run_in_batch,
    load_task,
)
from gateway.clouds.healthomics.provider import (
    HealthOmicsProvider,
    validate_batch_id,
    validate_run_id,
)
from gateway.clouds.healthomics.states import KIND, STATES
from gateway.clouds.healthomics.types import (
    HealthOmicsDefaultRunSetting,
    HealthOmicsImageDetails,
    HealthOmicsRunLogLocation,
    HealthOmicsRunSummary,
    HealthOmicsSubmissionSummary,
)
from gateway.errors import ErrorCode, GatewayError
from gateway.graph.context import Info
from gateway.graph.interfaces import (
    Batch,
    BatchConnection,
    BatchRunConnection,
    Node,
    Run,
    RunConnection,
    RunSubmission,
    Task,
    TaskConnection,
    batch_run_connection,
    connection,
)
from gateway.graph.logs import LogLineConnection
from gateway.graph.records import Detailed, build, build_node, nested, upstream_field
from gateway.graph.relay import PageArgs, relay
from gateway.graph.roots import BatchFilters, RunFilters
from gateway.states import RunState
from gateway.types import Record

# -- tasks --------------------------------------------------------------------------------------


@strawberry.type(description="A HealthOmics run task (ListRunTasks item; GetRunTask on demand).")
class HealthOmicsTask(Task, Detailed):
    task_id: str | None
    run_id: str = strawberry.field(description="The run this task belongs to.")
    cpus: int | None
    cache_hit: bool | None
    cache_s3_uri: str | None
    memory: int | None
    creation_time: datetime | None
    start_time: datetime | None
    stop_time: datetime | None
    gpus: int | None
    instance_type: str | None
    uuid: str | None
    _detail: strawberry.Private[Record | None] = None

    status_message: str | None = upstream_field("statusMessage", str)
    log_stream: str | None = upstream_field("logStream", str)
    failure_reason: str | None = upstream_field("failureReason", str)
    image_details: HealthOmicsImageDetails | None = upstream_field(
        "imageDetails", HealthOmicsImageDetails, convert=nested(HealthOmicsImageDetails)
    )
    logs: LogLineConnection | None = strawberry.field(resolver=fields.task_logs)
    error_excerpt: list[str] | None = strawberry.field(
        resolver=fields.error_excerpt, metadata={CALLS: fields.EXCERPT_CALLS}
    )
    usage: HealthOmicsTaskUsage | None = strawberry.field(
        resolver=fields.task_usage, metadata={CALLS: fields.TASK_FIGURE_CALLS}
    )
    cost: HealthOmicsTaskCost | None = strawberry.field(
        resolver=fields.task_cost, metadata={CALLS: fields.TASK_FIGURE_CALLS + 1}
    )
    recommendation: HealthOmicsRecommendation | None = strawberry.field(
        resolver=fields.task_recommendation, metadata={CALLS: fields.TASK_FIGURE_CALLS + 2}
    )

    async def load_detail(self, info: Info) -> Record:
        return await load_task(info, self.source, self.run_id, self.native_id)

    @classmethod
    def make(
        cls, source: str, run_id: str, record: Record, detail: bool = False
    ) -> HealthOmicsTask:
        task_id = str(record["taskId"])
        status = record.get("status")
        return build_node(
            cls,
            record,
            source,
            task_id,
            key=f"{run_id}/{task_id}",
            provider=KIND,
            run_id=run_id,
            state=STATES.task_state(status),
            started_at=record.get("startTime"),
            stopped_at=record.get("stopTime"),
            _detail=record if detail else None,
        )


# -- runs ---------------------------------------------------------------------------------------


@strawberry.type(description="A HealthOmics run: ListRuns fields, GetRun fields when selected.")
class HealthOmicsRun(Run, Detailed):
    arn: str | None
    workflow_id: str | None
    batch_id: str | None
    priority: int | None
    storage_capacity: int | None
    creation_time: datetime | None
    start_time: datetime | None
    stop_time: datetime | None
    storage_type: str | None
    workflow_version_name: str | None
    workflow_name: str | None
    _detail: strawberry.Private[Record | None] = None

    cache_id: str | None = upstream_field("cacheId", str)
    cache_behavior: str | None = upstream_field("cacheBehavior", str)
    engine_version: str | None = upstream_field("engineVersion", str)
    workflow_type: str | None = upstream_field("workflowType", str)
    run_id: str | None = upstream_field("runId", str)
    role_arn: str | None = upstream_field("roleArn", str)
    run_group_id: str | None = upstream_field("runGroupId", str)
    definition: str | None = upstream_field("definition", str)
    digest: str | None = upstream_field("digest", str)
    parameters: JSON | None = upstream_field("parameters", JSON)
    output_uri: str | None = upstream_field("outputUri", str)
    log_level: str | None = upstream_field("logLevel", str)
    resource_digests: JSON | None = upstream_field("resourceDigests", JSON)
    started_by: str | None = upstream_field("startedBy", str)
    status_message: str | None = upstream_field("statusMessage", str)
    tags: JSON | None = upstream_field("tags", JSON)
    accelerators: str | None = upstream_field("accelerators", str)
    retention_mode: str | None = upstream_field("retentionMode", str)
    failure_reason: str | None = upstream_field("failureReason", str)
    log_location: HealthOmicsRunLogLocation | None = upstream_field(
        "logLocation", HealthOmicsRunLogLocation, convert=nested(HealthOmicsRunLogLocation)
    )
    uuid: str | None = upstream_field("uuid", str)
    run_output_uri: str | None = upstream_field("runOutputUri", str)
    workflow_owner_id: str | None = upstream_field("workflowOwnerId", str)
    workflow_uuid: str | None = upstream_field("workflowUuid", str)
    networking_mode: str | None = upstream_field("networkingMode", str)
    scratch_storage_mode: str | None = upstream_field("scratchStorageMode", str)
    configuration: JSON | None = upstream_field("configuration", JSON)
    vpc_config: JSON | None = upstream_field("vpcConfig", JSON)
    engine_settings: JSON | None = upstream_field("engineSettings", JSON)
    session_policy: str | None = upstream_field("sessionPolicy", str)
    engine_log: LogLineConnection | None = strawberry.field(resolver=fields.engine_log)
    run_log: LogLineConnection | None = strawberry.field(resolver=fields.run_log)
    cost: HealthOmicsRunCost | None = strawberry.field(
        resolver=fields.run_cost, metadata={CALLS: fields.RUN_COST_CALLS}
    )

    async def load_detail(self, info: Info) -> Record:
        return await load_run(info, self.source, self.native_id)

    @classmethod
    def make(cls, source: str, record: Record, detail: bool = False) -> HealthOmicsRun:
        run_id = str(record["id"])
        status = record.get("status")
        return build_node(
            cls,
            record,
            source,
            run_id,
            provider=KIND,
            state=STATES.run_state(status),
            created_at=record.get("creationTime"),
            started_at=record.get("startTime"),
            stopped_at=record.get("stopTime"),
            _detail=record if detail else None,
        )

    @strawberry.field
    async def batch(self, info: Info) -> Batch | None:
        if not self.batch_id:
            return None
        record = await load_batch(info, self.source, self.batch_id)
        return HealthOmicsBatch.make(self.source, record, detail=True)

    @strawberry.field(description="ListRunTasks; null (no error) for a deleted run.")
    @relay
    async def tasks(
        self, info: Info, *, page: PageArgs, status: str | None = None
    ) -> TaskConnection | None:
        if self.state is RunState.DELETED:
            return None
        p = info.context.upstream.provider_as(self.source, HealthOmicsProvider)
        listing = p.tasks(self.native_id, status)
        # A settled run's task list is settled too: the caller knows the parent's state.
        conn = await info.context.loaders.connection(
            p,
            listing,
            **page,
            settled=STATES.run_settled(self.status),
        )
        source, run_id = self.source, self.native_id
        return connection(
            TaskConnection, conn, lambda item: HealthOmicsTask.make(source, run_id, item)
        )


# -- batches ------------------------------------------------------------------------------------


@strawberry.type(description="A HealthOmics run batch: ListBatch fields, GetBatch when selected.")
class HealthOmicsBatch(Batch, Detailed):
    workflow_id: str | None
    _detail: strawberry.Private[Record | None] = None

    arn: str | None = upstream_field("arn", str)
    uuid: str | None = upstream_field("uuid", str)
    tags: JSON | None = upstream_field("tags", JSON)
    default_run_setting: HealthOmicsDefaultRunSetting | None = upstream_field(
        "defaultRunSetting",
        HealthOmicsDefaultRunSetting,
        convert=nested(HealthOmicsDefaultRunSetting),
    )
    submission_summary: HealthOmicsSubmissionSummary | None = upstream_field(
        "submissionSummary",
        HealthOmicsSubmissionSummary,
        convert=nested(HealthOmicsSubmissionSummary),
    )
    run_summary: HealthOmicsRunSummary | None = upstream_field(
        "runSummary", HealthOmicsRunSummary, convert=nested(HealthOmicsRunSummary)
    )
    creation_time: datetime | None = upstream_field("creationTime", datetime)
    submitted_time: datetime | None = upstream_field("submittedTime", datetime)
    processed_time: datetime | None = upstream_field("processedTime", datetime)
    failed_time: datetime | None = upstream_field("failedTime", datetime)
    failure_reason: str | None = upstream_field("failureReason", str)
    cost: HealthOmicsBatchCost | None = strawberry.field(
        resolver=fields.batch_cost, metadata={CALLS: fields.BATCH_COST_CALLS}
    )

    async def load_detail(self, info: Info) -> Record:
        return await load_batch(info, self.source, self.native_id)

    @classmethod
    def make(cls, source: str, record: Record, detail: bool = False) -> HealthOmicsBatch:
        batch_id = str(record["id"])
        status = record.get("status")
        setting = record.get("defaultRunSetting") or {}
        return build_node(
            cls,
            record,
            source,
            batch_id,
            provider=KIND,
            state=STATES.batch_state(status),
            created_at=record.get("creationTime") or record.get("createdAt"),
            workflow_id=record.get("workflowId") or setting.get("workflowId"),
            _detail=record if detail else None,
        )

    @strawberry.field(description="ListRunsInBatch; at most one of the three filters.")
    @relay(filters=BatchRunFilters)
    async def runs(
        self, info: Info, *, page: PageArgs, filters: BatchRunFilters
    ) -> BatchRunConnection | None:
        settled = STATES.batch_settled(self.status)
        conn = await runs_page(info, self.source, self.native_id, page, filters, settled)
        filtered = filters != BatchRunFilters()
        source, batch_id = self.source, self.native_id

        def edge(item: Record) -> tuple[RunSubmission, Any]:
            submission = build(RunSubmission, item)
            return submission, _run_of(source, batch_id, submission.run_id, settled)

        return batch_run_connection(conn, edge, total=None if filtered else self.total_runs)


def _run_of(source: str, batch_id: str, run_id: str | None, batch_is_settled: bool) -> Any:
    if not run_id:
        return None

    async def resolve(info: Info) -> HealthOmicsRun:
        record = await load_run_in_batch(info, source, batch_id, run_id, batch_is_settled)
        return HealthOmicsRun.make(source, record, detail="runId" in record)

    return resolve


class HealthOmicsRoots:
    """Root fields and `node` for HealthOmics sources: `Roots`, `BatchRoots`, `RunListRoots`."""

    node_types = frozenset({"HealthOmicsBatch", "HealthOmicsRun", "HealthOmicsTask"})

    async def batch(self, info: Info, source: str, batch_id: str) -> HealthOmicsBatch:
        info.context.upstream.provider_as(source, HealthOmicsProvider)
        validate_batch_id(batch_id)
        ahead = read_runs_ahead(info, source, batch_id)
        record: Record | None = None
        try:
            record = await load_batch(info, source, batch_id)
        finally:
            ahead.set_result(record)  # a page read ahead is kept as long as its batch says
        return HealthOmicsBatch.make(source, record, True)

    async def run(self, info: Info, source: str, run_id: str) -> HealthOmicsRun:
        info.context.upstream.provider_as(source, HealthOmicsProvider)
        validate_run_id(run_id)
        return HealthOmicsRun.make(source, await load_run(info, source, run_id), detail=True)

    async def task(self, info: Info, source: str, key: str) -> HealthOmicsTask:
        run_id, sep, task_id = key.partition("/")
        if not sep or not run_id.isdigit() or not task_id.isdigit():
            raise GatewayError("malformed task id", ErrorCode.BAD_USER_INPUT)
        record = await load_task(info, source, run_id, task_id)
        return HealthOmicsTask.make(source, run_id, record, detail=True)

    async def node(self, info: Info, type_name: str, source: str, key: str) -> Node:
        if type_name == "HealthOmicsBatch":
            return await self.batch(info, source, key)
        if type_name == "HealthOmicsRun":
            return await self.run(info, source, key)
        return await self.task(info, source, key)

    async def batches(
        self, info: Info, source: str, filters: BatchFilters, page: PageArgs
    ) -> BatchConnection:
        p = info.context.upstream.provider_as(source, HealthOmicsProvider)
        listing = p.batches(filters.status, filters.name, filters.run_group_id)
        conn = await info.context.loaders.connection(p, listing, **page)
        make = HealthOmicsBatch.make
        total = conn.window.total
        return connection(BatchConnection, conn, lambda item: make(source, item), total=total)

    async def runs(
        self, info: Info, source: str, filters: RunFilters, page: PageArgs
    ) -> RunConnection:
        p = info.context.upstream.provider_as(source, HealthOmicsProvider)
        listing = p.runs(
            batch_id=filters.batch_id,
            run_group_id=filters.run_group_id,
            status=filters.status,
            name=filters.name,
        )
        conn = await info.context.loaders.connection(p, listing, **page)
        return connection(
            RunConnection,
            conn,
            lambda item: HealthOmicsRun.make(source, item),
            total=conn.window.total,
        )
