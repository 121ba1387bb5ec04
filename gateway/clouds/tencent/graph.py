"""Tencent Cloud Omics in the schema: run groups (Batch), runs (Run) and their calls (Task).

Runs are loaded by RunUuid in DescribeRuns chunks, never one GetRunStatus per run; GetRunStatus
is read only when a RunMetadata-only field is selected. Calls page one GetRunCalls answer.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from gateway.clouds.tencent import log_fields
from gateway.clouds.tencent.calls import TencentRunCall, call_connection
from gateway.clouds.tencent.loaders import (
    group_loader,
    load_status,
    not_found,
    prime_runs,
    run_loader,
)
from gateway.clouds.tencent.provider import (
    TencentOmicsProvider,
    child_path,
    parent_path,
    split_call_key,
    validate_run_group_id,
    validate_run_uuid,
)
from gateway.clouds.tencent.states import KIND, STATES
from gateway.clouds.tencent.types import (
    TencentApplicationVersion,
    TencentCacheInfo,
    TencentExecutionTime,
    TencentNFOption,
    TencentRunGroupNotification,
    TencentRunOption,
    TencentRunStatusCount,
    TencentVolumeInfo,
    camel,
    struct,
)
from gateway.errors import bad_input
from gateway.graph.context import Info
from gateway.graph.costs import RunCost, no_cost
from gateway.graph.interfaces import (
    Batch,
    BatchConnection,
    BatchRunConnection,
    Node,
    Run,
    RunConnection,
    TaskConnection,
    batch_run_connection,
    connection,
)
from gateway.graph.logs import LogLineConnection
from gateway.graph.records import Detailed, build_node, upstream_field
from gateway.graph.relay import PageArgs, relay
from gateway.graph.roots import BatchFilters, RunFilters
from gateway.types import Record
from gateway.upstream.connection import Connection

__all__ = ["TencentRoots", "TencentRun", "TencentRunCall", "TencentRunGroup"]


# -- runs ---------------------------------------------------------------------------------------


@strawberry.type(
    description="A Tencent Cloud Omics run: DescribeRuns fields; RunMetadata-only fields read "
    "GetRunStatus when selected. `name` is the run's UserDefinedId."
)
class TencentRun(Run, Detailed):
    run_uuid: str | None
    project_id: str | None
    application_id: str | None
    run_group_id: str | None
    environment_id: str | None
    user_defined_id: str | None
    table_id: str | None
    table_row_uuid: str | None
    input: JSON | None
    option: TencentRunOption | None
    execution_time: TencentExecutionTime | None
    cache: TencentCacheInfo | None
    error_message: JSON | None
    create_time: datetime | None
    update_time: datetime | None
    submit_time: datetime | None = strawberry.field(description="ExecutionTime.SubmitTime.")
    start_time: datetime | None = strawberry.field(description="ExecutionTime.StartTime.")
    end_time: datetime | None = strawberry.field(description="ExecutionTime.EndTime.")
    _detail: strawberry.Private[Record | None] = None

    run_type: str | None = upstream_field("runType", str)
    run_id: str | None = upstream_field("runId", str)
    parent_id: str | None = upstream_field("parentId", str)
    job_id: str | None = upstream_field("jobId", str)
    call_name: str | None = upstream_field("callName", str)
    scatter_index: str | None = upstream_field("scatterIndex", str)
    output: JSON | None = upstream_field("output", JSON)
    command: str | None = upstream_field("command", str)
    runtime: JSON | None = upstream_field("runtime", JSON)
    preprocess: bool | None = upstream_field("preprocess", bool)
    post_process: bool | None = upstream_field("postProcess", bool)
    call_cached: bool | None = upstream_field("callCached", bool)
    work_dir: str | None = upstream_field("workDir", str)
    stdout: str | None = upstream_field("stdout", str)
    stderr: str | None = upstream_field("stderr", str)
    meta: JSON | None = upstream_field("meta", JSON)
    engine_log: LogLineConnection | None = strawberry.field(resolver=log_fields.engine_log)
    cost: RunCost | None = no_cost(
        "Always null: Tencent Cloud Omics publishes no usage or cost for runs in its API."
    )

    async def load_detail(self, info: Info) -> Record:
        return camel(await load_status(info, self.source, self.native_id))

    @classmethod
    def make(cls, source: str, record: Record) -> TencentRun:
        rec = camel(record)
        run_uuid = str(rec["runUuid"])
        times = rec.get("executionTime") or {}
        status = rec.get("status")
        return build_node(
            cls,
            rec,
            source,
            run_uuid,
            provider=KIND,
            name=rec.get("userDefinedId") or None,
            state=STATES.run_state(status),
            created_at=rec.get("createTime"),
            started_at=times.get("startTime"),
            stopped_at=times.get("endTime"),
            submit_time=times.get("submitTime"),
            start_time=times.get("startTime"),
            end_time=times.get("endTime"),
            option=struct(TencentRunOption, rec.get("option")),
            execution_time=struct(TencentExecutionTime, rec.get("executionTime")),
            cache=struct(TencentCacheInfo, rec.get("cache")),
        )

    @strawberry.field
    async def batch(self, info: Info) -> Batch | None:
        if not self.run_group_id:
            return None
        record = await group_loader(info, self.source).load(self.run_group_id)
        return TencentRunGroup.make(self.source, record)

    @strawberry.field(description="The run's top-level calls (GetRunCalls at `/`).")
    @relay
    async def tasks(self, info: Info, *, page: PageArgs) -> TaskConnection | None:
        return await call_connection(info, self.source, self.native_id, "/", page)


def run_connection(info: Info, source: str, conn: Connection) -> RunConnection:
    prime_runs(info, source, [s.item for s in conn.slots])
    make = TencentRun.make
    return connection(RunConnection, conn, lambda item: make(source, item), total=conn.window.total)


# -- run groups ---------------------------------------------------------------------------------


@strawberry.type(description="A Tencent Cloud Omics run group (DescribeRunGroups RunGroup).")
class TencentRunGroup(Batch):
    run_group_id: str | None
    project_id: str | None
    project_name: str | None
    application_id: str | None
    application_name: str | None
    application_type: str | None
    application_version: TencentApplicationVersion | None
    access_mode: str | None
    environment_id: str | None
    environment_name: str | None
    table_id: str | None
    description: str | None
    type: str | None
    work_dir: str | None
    input: JSON | None
    input_type: str | None
    input_cos_uri: str | None
    input_template_id: str | None
    option: TencentRunOption | None
    nf_option: TencentNFOption | None
    volumes: list[TencentVolumeInfo] | None
    total_run: int | None
    run_status_counts: list[TencentRunStatusCount] | None
    execution_time: TencentExecutionTime | None
    error_message: JSON | None
    notification: TencentRunGroupNotification | None
    create_time: datetime | None
    update_time: datetime | None
    creator: str | None
    creator_id: str | None
    result_notify: str | None

    @classmethod
    def make(cls, source: str, record: Record) -> TencentRunGroup:
        rec = camel(record)
        group_id = str(rec["runGroupId"])
        status = rec.get("status")
        return build_node(
            cls,
            rec,
            source,
            group_id,
            provider=KIND,
            state=STATES.batch_state(status),
            total_runs=rec.get("totalRun"),
            created_at=rec.get("createTime"),
            application_version=struct(TencentApplicationVersion, rec.get("applicationVersion")),
            option=struct(TencentRunOption, rec.get("option")),
            nf_option=struct(TencentNFOption, rec.get("nfOption")),
            volumes=struct(TencentVolumeInfo, rec.get("volumes")),
            run_status_counts=struct(TencentRunStatusCount, rec.get("runStatusCounts")),
            execution_time=struct(TencentExecutionTime, rec.get("executionTime")),
            notification=struct(TencentRunGroupNotification, rec.get("notification")),
        )

    @strawberry.field(description="DescribeRuns filtered by this RunGroupId (and `status`).")
    @relay
    async def runs(
        self, info: Info, *, page: PageArgs, status: str | None = None
    ) -> BatchRunConnection | None:
        p = info.context.upstream.provider_as(self.source, TencentOmicsProvider)
        listing = p.runs(run_group_id=self.native_id, status=status)
        conn = await info.context.loaders.connection(p, listing, **page)
        source = self.source
        prime_runs(info, source, [s.item for s in conn.slots])
        return batch_run_connection(
            conn, lambda item: (None, TencentRun.make(source, item)), total=conn.window.total
        )


# -- roots --------------------------------------------------------------------------------------


class TencentRoots:
    """Root fields and `node` for Tencent sources: `Roots`, `BatchRoots`, `RunListRoots`."""

    node_types = frozenset({"TencentRunGroup", "TencentRun", "TencentRunCall"})

    async def batch(self, info: Info, source: str, batch_id: str) -> TencentRunGroup:
        validate_run_group_id(batch_id)
        return TencentRunGroup.make(source, await group_loader(info, source).load(batch_id))

    async def run(self, info: Info, source: str, run_id: str) -> TencentRun:
        validate_run_uuid(run_id)
        return TencentRun.make(source, await run_loader(info, source).load(run_id))

    async def call(self, info: Info, source: str, key: str) -> TencentRunCall:
        run_uuid, path = split_call_key(key)
        parent = parent_path(path)
        for record in await info.context.upstream.provider_as(
            source, TencentOmicsProvider
        ).get_run_calls(run_uuid, parent):
            if child_path(parent, record) == path:
                return TencentRunCall.make(source, run_uuid, parent, record)
        raise not_found("call", source)

    async def node(self, info: Info, type_name: str, source: str, key: str) -> Node:
        if type_name == "TencentRunGroup":
            return await self.batch(info, source, key)
        if type_name == "TencentRun":
            return await self.run(info, source, key)
        return await self.call(info, source, key)

    async def batches(
        self, info: Info, source: str, filters: BatchFilters, page: PageArgs
    ) -> BatchConnection:
        p = info.context.upstream.provider_as(source, TencentOmicsProvider)
        listing = p.run_groups(
            status=filters.status, name=filters.name, run_group_id=filters.run_group_id
        )
        conn = await info.context.loaders.connection(p, listing, **page)
        make = TencentRunGroup.make
        total = conn.window.total
        return connection(BatchConnection, conn, lambda item: make(source, item), total=total)

    async def runs(
        self, info: Info, source: str, filters: RunFilters, page: PageArgs
    ) -> RunConnection:
        if filters.run_group_id is not None:
            raise bad_input(
                "`runGroupId` is HealthOmics' compute pool; a Tencent run group is `batchId`"
            )
        p = info.context.upstream.provider_as(source, TencentOmicsProvider)
        listing = p.runs(
            run_group_id=filters.batch_id, status=filters.status, user_defined_id=filters.name
        )
        conn = await info.context.loaders.connection(p, listing, **page)
        return run_connection(info, source, conn)
