"""AWS HealthOmics in the schema: batches, their runs (with submissions) and run tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.clouds.healthomics import diagnostics_fields as fields
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
    provider_of,
)
from gateway.clouds.healthomics.types import (
    HealthOmicsDefaultRunSetting,
    HealthOmicsImageDetails,
    HealthOmicsRunLogLocation,
    HealthOmicsRunSummary,
    HealthOmicsSubmissionSummary,
)
from gateway.errors import ErrorCode, GatewayError
from gateway.graph.context import Info
from gateway.graph.ids import global_id
from gateway.graph.interfaces import (
    Batch,
    BatchRunConnection,
    BatchRunEdge,
    Run,
    RunConnection,
    RunEdge,
    RunSubmission,
    Task,
    TaskConnection,
    TaskEdge,
    page_info,
)
from gateway.graph.logs import LogLineConnection
from gateway.graph.records import build, nested, upstream_field
from gateway.states import (
    RunState,
    batch_settled,
    batch_state,
    run_settled,
    run_state,
    task_state,
)
from gateway.types import ProviderKind, Record
from gateway.upstream.loaders import Connection

HO = ProviderKind.HEALTHOMICS


# -- tasks --------------------------------------------------------------------------------------


@strawberry.type(description="A HealthOmics run task (ListRunTasks item; GetRunTask on demand).")
class HealthOmicsTask(Task):
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

    async def detail(self, info: Info) -> Record:
        if self._detail is None:
            self._detail = await load_task(info, self.source, self.run_id, self.native_id)
        return self._detail

    @classmethod
    def make(
        cls, source: str, run_id: str, record: Record, detail: bool = False
    ) -> HealthOmicsTask:
        task_id = str(record["taskId"])
        status = record.get("status")
        return build(
            cls,
            record,
            id=global_id("HealthOmicsTask", source, f"{run_id}/{task_id}"),
            source=source,
            provider=HO,
            native_id=task_id,
            run_id=run_id,
            state=task_state(HO, status),
            started_at=record.get("startTime"),
            stopped_at=record.get("stopTime"),
            _detail=record if detail else None,
        )


# -- runs ---------------------------------------------------------------------------------------

_DETAIL_ONLY = {"status_message", "failure_reason"}


@strawberry.type(description="A HealthOmics run: ListRuns fields, GetRun fields when selected.")
class HealthOmicsRun(Run):
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

    async def detail(self, info: Info) -> Record:
        if self._detail is None:
            self._detail = await load_run(info, self.source, self.native_id)
        return self._detail

    @classmethod
    def make(cls, source: str, record: Record, detail: bool = False) -> HealthOmicsRun:
        run_id = str(record["id"])
        status = record.get("status")
        return build(
            cls,
            record,
            id=global_id("HealthOmicsRun", source, run_id),
            source=source,
            provider=HO,
            native_id=run_id,
            state=run_state(HO, status),
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
    async def tasks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: str | None = None,
    ) -> TaskConnection | None:
        if self.state is RunState.DELETED:
            return None
        p = provider_of(info, self.source)
        listing = p.tasks(self.native_id, status)
        # A settled run's task list is settled too: the caller knows the parent's state.
        conn = await info.context.loaders.connection(
            p,
            listing,
            first=first,
            after=after,
            last=last,
            before=before,
            settled=run_settled(HO, self.status),
        )
        source, run_id = self.source, self.native_id
        edges = [
            TaskEdge(node=HealthOmicsTask.make(source, run_id, s.item), _slot=s, _conn=conn)
            for s in conn.slots
        ]
        return TaskConnection(edges=edges, page_info=page_info(conn), total_count=None)


def run_connection(source: str, conn: Connection) -> RunConnection:
    edges = [
        RunEdge(node=HealthOmicsRun.make(source, s.item), _slot=s, _conn=conn) for s in conn.slots
    ]
    return RunConnection(edges=edges, page_info=page_info(conn), total_count=conn.window.total)


# -- batches ------------------------------------------------------------------------------------


@strawberry.type(description="A HealthOmics run batch: ListBatch fields, GetBatch when selected.")
class HealthOmicsBatch(Batch):
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

    async def detail(self, info: Info) -> Record:
        if self._detail is None:
            self._detail = await load_batch(info, self.source, self.native_id)
        return self._detail

    @classmethod
    def make(cls, source: str, record: Record, detail: bool = False) -> HealthOmicsBatch:
        batch_id = str(record["id"])
        status = record.get("status")
        setting = record.get("defaultRunSetting") or {}
        return build(
            cls,
            record,
            id=global_id("HealthOmicsBatch", source, batch_id),
            source=source,
            provider=HO,
            native_id=batch_id,
            state=batch_state(HO, status),
            created_at=record.get("creationTime") or record.get("createdAt"),
            workflow_id=record.get("workflowId") or setting.get("workflowId"),
            _detail=record if detail else None,
        )

    @strawberry.field(description="ListRunsInBatch; at most one of the three filters.")
    async def runs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        submission_status: str | None = None,
        run_setting_id: str | None = None,
        run_id: str | None = None,
    ) -> BatchRunConnection | None:
        p = provider_of(info, self.source)
        listing = p.runs_in_batch(self.native_id, submission_status, run_setting_id, run_id)
        settled = batch_settled(HO, self.status)
        conn = await info.context.loaders.connection(
            p, listing, first=first, after=after, last=last, before=before, settled=settled
        )
        filtered = any(v is not None for v in (submission_status, run_setting_id, run_id))
        source, batch_id = self.source, self.native_id
        edges = []
        for s in conn.slots:
            submission = build(RunSubmission, s.item)
            edges.append(
                BatchRunEdge(
                    submission=submission,
                    _node=_run_of(source, batch_id, submission.run_id, settled),
                    _slot=s,
                    _conn=conn,
                )
            )
        return BatchRunConnection(
            edges=edges,
            page_info=page_info(conn),
            total_count=None if filtered else self.total_runs,
        )


def _run_of(source: str, batch_id: str, run_id: str | None, batch_is_settled: bool) -> Any:
    if not run_id:
        return None

    async def resolve(info: Info) -> HealthOmicsRun:
        record = await load_run_in_batch(info, source, batch_id, run_id, batch_is_settled)
        return HealthOmicsRun.make(source, record, detail="runId" in record)

    return resolve


def batch_connection_edges(source: str, conn: Connection) -> list[Any]:
    from gateway.graph.interfaces import BatchEdge

    return [
        BatchEdge(node=HealthOmicsBatch.make(source, s.item), _slot=s, _conn=conn)
        for s in conn.slots
    ]


class HealthOmicsRoots:
    """Root fields and `node` for HealthOmics sources; Query dispatches here by provider."""

    node_types = frozenset({"HealthOmicsBatch", "HealthOmicsRun", "HealthOmicsTask"})

    async def batch(self, info: Info, source: str, batch_id: str) -> HealthOmicsBatch:
        provider_of(info, source)
        from gateway.clouds.healthomics.provider import validate_batch_id

        validate_batch_id(batch_id)
        return HealthOmicsBatch.make(source, await load_batch(info, source, batch_id), True)

    async def run(self, info: Info, source: str, run_id: str) -> HealthOmicsRun:
        from gateway.clouds.healthomics.provider import validate_run_id

        provider_of(info, source)
        validate_run_id(run_id)
        return HealthOmicsRun.make(source, await load_run(info, source, run_id), detail=True)

    async def task(self, info: Info, source: str, key: str) -> HealthOmicsTask:
        run_id, sep, task_id = key.partition("/")
        if not sep or not run_id.isdigit() or not task_id.isdigit():
            raise GatewayError("malformed task id", ErrorCode.BAD_USER_INPUT)
        record = await load_task(info, source, run_id, task_id)
        return HealthOmicsTask.make(source, run_id, record, detail=True)

    async def node(self, info: Info, type_name: str, source: str, key: str) -> Any:
        if type_name == "HealthOmicsBatch":
            return await self.batch(info, source, key)
        if type_name == "HealthOmicsRun":
            return await self.run(info, source, key)
        return await self.task(info, source, key)

    async def batches(
        self, info: Info, source: str, filters: dict[str, Any], page: dict[str, Any]
    ) -> list[Any] | tuple[Connection, list[Any]]:
        p = provider_of(info, source)
        listing = p.batches(filters.get("status"), filters.get("name"), filters.get("run_group_id"))
        conn = await info.context.loaders.connection(p, listing, **page)
        return conn, batch_connection_edges(source, conn)

    async def runs(
        self, info: Info, source: str, filters: dict[str, Any], page: dict[str, Any]
    ) -> RunConnection:
        p = provider_of(info, source)
        listing = p.runs(
            batch_id=filters.get("batch_id"),
            run_group_id=filters.get("run_group_id"),
            status=filters.get("status"),
            name=filters.get("name"),
        )
        conn = await info.context.loaders.connection(p, listing, **page)
        return run_connection(source, conn)
