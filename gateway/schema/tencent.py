"""Tencent Cloud Omics in the schema: run groups (Batch), runs (Run) and their calls (Task).

Runs are loaded by RunUuid in DescribeRuns chunks, never one GetRunStatus per run; GetRunStatus
is read only when a RunMetadata-only field is selected. Calls page one GetRunCalls answer.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import strawberry
from aiodataloader import DataLoader
from strawberry.scalars import JSON

from gateway.loaders import Connection, check_page_args
from gateway.paging.window import Window
from gateway.providers.base import ErrorCode, GatewayError, ProviderKind, Record, bad_input
from gateway.providers.tencent import (
    TencentOmicsProvider,
    child_path,
    parent_path,
    split_call_key,
    validate_run_group_id,
    validate_run_uuid,
)
from gateway.schema.context import Info
from gateway.schema.ids import global_id
from gateway.schema.interfaces import (
    Batch,
    BatchEdge,
    BatchRunConnection,
    BatchRunEdge,
    Run,
    RunConnection,
    RunEdge,
    Task,
    TaskConnection,
    TaskEdge,
    page_info,
)
from gateway.schema.records import build, upstream_field
from gateway.schema.tencent_records import (
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
from gateway.states import batch_state, run_state, task_state

TC = ProviderKind.TENCENT_OMICS
GROUP_CHUNK = 100


def not_found(kind: str, source: str) -> GatewayError:
    return GatewayError(f"{kind} not found", ErrorCode.NOT_FOUND, source=source, provider=TC)


# -- loaders: DescribeRuns / DescribeRunGroups by id lists, GetRunStatus only on demand ---------


def _provider(info: Info, source: str) -> TencentOmicsProvider:
    provider = info.context.upstream.provider(source)
    if not isinstance(provider, TencentOmicsProvider):
        raise bad_input(f"source {source!r} is not a Tencent Cloud Omics source")
    return provider


def _by_ids(
    info: Info, source: str, kind: str, id_key: str, chunk: int, fetch: Any
) -> DataLoader[str, Record]:
    """A loader answering N ids with ⌈N/chunk⌉ upstream calls (chunks run concurrently)."""

    async def batch(keys: list[str]) -> list[Record | GatewayError]:
        chunks = [keys[i : i + chunk] for i in range(0, len(keys), chunk)]
        results = await asyncio.gather(*(fetch(c) for c in chunks), return_exceptions=True)
        found: dict[str, Record] = {}
        failed: dict[str, BaseException] = {}
        for part, result in zip(chunks, results, strict=True):
            if isinstance(result, BaseException):
                failed.update(dict.fromkeys(part, result))
                continue
            found.update((str(r[id_key]), r) for r in result)
        out: list[Any] = []
        for k in keys:
            out.append(failed.get(k) or found.get(k) or not_found(kind, source))
        return out

    return info.context.loaders.loader(source, kind, batch)


def run_loader(info: Info, source: str) -> DataLoader[str, Record]:
    p = _provider(info, source)
    chunk = info.context.upstream.settings.limits.tencent_describe_chunk
    return _by_ids(info, source, "DescribeRuns:RunUuid", "RunUuid", chunk, p.describe_runs)


def group_loader(info: Info, source: str) -> DataLoader[str, Record]:
    p = _provider(info, source)
    return _by_ids(
        info,
        source,
        "DescribeRunGroups:RunGroupId",
        "RunGroupId",
        GROUP_CHUNK,
        p.describe_run_groups,
    )


async def load_status(info: Info, source: str, run_uuid: str) -> Record:
    p = _provider(info, source)
    record: Record = await info.context.loaders.each(source, "GetRunStatus", p.get_run_status).load(
        run_uuid
    )
    return record


def _empty_connection(info: Info) -> Connection:
    window = Window([], has_previous=False, total=0, _has_next=False)
    return Connection(window, info.context.upstream.codec, b"")


async def call_connection(
    info: Info, source: str, run_uuid: str, path: str, page: dict[str, Any]
) -> TaskConnection:
    p = _provider(info, source)
    conn = await info.context.loaders.connection(p, p.calls(run_uuid, path), **page)
    edges = [
        TaskEdge(node=TencentRunCall.make(source, run_uuid, path, s.item), _slot=s, _conn=conn)
        for s in conn.slots
    ]
    return TaskConnection(edges=edges, page_info=page_info(conn), total_count=conn.window.total)


def _page(first: Any, after: Any, last: Any, before: Any) -> dict[str, Any]:
    return {"first": first, "after": after, "last": last, "before": before}


# -- calls --------------------------------------------------------------------------------------


@strawberry.type(
    description="A Tencent run's call (GetRunCalls RunMetadata): a task or sub-workflow."
)
class TencentRunCall(Task):
    run_uuid: str | None = strawberry.field(
        description="The run this call belongs to (always set; nullable like `TencentRun`'s)."
    )
    path: str = strawberry.field(
        description="The call's path: `/<CallName>[:<ScatterIndex>]/…` (the gateway's syntax)."
    )
    run_type: str | None
    run_id: str | None
    parent_id: str | None
    job_id: str | None
    call_name: str | None
    scatter_index: str | None
    input: JSON | None
    output: JSON | None
    error_message: JSON | None
    start_time: datetime | None
    submit_time: datetime | None
    end_time: datetime | None
    command: str | None
    runtime: JSON | None
    preprocess: bool | None
    post_process: bool | None
    call_cached: bool | None
    work_dir: str | None
    stdout: str | None
    stderr: str | None
    meta: JSON | None

    @classmethod
    def make(cls, source: str, run_uuid: str, parent: str, record: Record) -> TencentRunCall:
        path = child_path(parent, record)
        rec = camel(record)
        status = rec.get("status")
        return build(
            cls,
            rec,
            id=global_id("TencentRunCall", source, f"{run_uuid}{path}"),
            source=source,
            provider=TC,
            native_id=f"{run_uuid}{path}",
            run_uuid=run_uuid,
            path=path,
            name=rec.get("callName"),
            state=task_state(TC, status),
            started_at=rec.get("startTime"),
            stopped_at=rec.get("endTime"),
        )

    @strawberry.field(
        description="A sub-workflow's own calls (GetRunCalls at its path); else empty."
    )
    async def calls(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> TaskConnection | None:
        if self.run_type != "SubWorkflow":
            check_page_args(first, last)
            conn = _empty_connection(info)
            return TaskConnection(edges=[], page_info=page_info(conn), total_count=0)
        page = _page(first, after, last, before)
        assert self.run_uuid is not None
        return await call_connection(info, self.source, self.run_uuid, self.path, page)


# -- runs ---------------------------------------------------------------------------------------


@strawberry.type(
    description="A Tencent Cloud Omics run: DescribeRuns fields; RunMetadata-only fields read "
    "GetRunStatus when selected. `name` is the run's UserDefinedId."
)
class TencentRun(Run):
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

    async def detail(self, info: Info) -> Record:
        if self._detail is None:
            self._detail = camel(await load_status(info, self.source, self.native_id))
        return self._detail

    @classmethod
    def make(cls, source: str, record: Record) -> TencentRun:
        rec = camel(record)
        run_uuid = str(rec["runUuid"])
        times = rec.get("executionTime") or {}
        status = rec.get("status")
        return build(
            cls,
            rec,
            id=global_id("TencentRun", source, run_uuid),
            source=source,
            provider=TC,
            native_id=run_uuid,
            name=rec.get("userDefinedId") or None,
            state=run_state(TC, status),
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
    async def tasks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> TaskConnection | None:
        page = _page(first, after, last, before)
        return await call_connection(info, self.source, self.native_id, "/", page)


def prime_runs(info: Info, source: str, records: list[Record]) -> None:
    """Listed runs answer later loads of the same runs in this request."""
    loader = run_loader(info, source)
    for record in records:
        loader.prime(str(record["RunUuid"]), record)


def run_connection(info: Info, source: str, conn: Connection) -> RunConnection:
    prime_runs(info, source, [s.item for s in conn.slots])
    edges = [RunEdge(node=TencentRun.make(source, s.item), _slot=s, _conn=conn) for s in conn.slots]
    return RunConnection(edges=edges, page_info=page_info(conn), total_count=conn.window.total)


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
        return build(
            cls,
            rec,
            id=global_id("TencentRunGroup", source, group_id),
            source=source,
            provider=TC,
            native_id=group_id,
            state=batch_state(TC, status),
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
    async def runs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: str | None = None,
    ) -> BatchRunConnection | None:
        p = _provider(info, self.source)
        listing = p.runs(run_group_id=self.native_id, status=status)
        conn = await info.context.loaders.connection(
            p, listing, **_page(first, after, last, before)
        )
        prime_runs(info, self.source, [s.item for s in conn.slots])
        edges = [
            BatchRunEdge(
                submission=None,
                _node=TencentRun.make(self.source, s.item),
                _slot=s,
                _conn=conn,
            )
            for s in conn.slots
        ]
        return BatchRunConnection(
            edges=edges, page_info=page_info(conn), total_count=conn.window.total
        )


# -- roots --------------------------------------------------------------------------------------


class TencentRoots:
    """Root fields and `node` for Tencent sources; Query dispatches here by provider."""

    node_types = frozenset({"TencentRunGroup", "TencentRun", "TencentRunCall"})

    async def batch(self, info: Info, source: str, group_id: str) -> TencentRunGroup:
        validate_run_group_id(group_id)
        return TencentRunGroup.make(source, await group_loader(info, source).load(group_id))

    async def run(self, info: Info, source: str, run_uuid: str) -> TencentRun:
        validate_run_uuid(run_uuid)
        return TencentRun.make(source, await run_loader(info, source).load(run_uuid))

    async def call(self, info: Info, source: str, key: str) -> TencentRunCall:
        run_uuid, path = split_call_key(key)
        parent = parent_path(path)
        for record in await _provider(info, source).get_run_calls(run_uuid, parent):
            if child_path(parent, record) == path:
                return TencentRunCall.make(source, run_uuid, parent, record)
        raise not_found("call", source)

    async def node(self, info: Info, type_name: str, source: str, key: str) -> Any:
        if type_name == "TencentRunGroup":
            return await self.batch(info, source, key)
        if type_name == "TencentRun":
            return await self.run(info, source, key)
        return await self.call(info, source, key)

    async def batches(
        self, info: Info, source: str, filters: dict[str, Any], page: dict[str, Any]
    ) -> tuple[Connection, list[Any]]:
        p = _provider(info, source)
        listing = p.run_groups(
            status=filters.get("status"),
            name=filters.get("name"),
            run_group_id=filters.get("run_group_id"),
        )
        conn = await info.context.loaders.connection(p, listing, **page)
        edges = [
            BatchEdge(node=TencentRunGroup.make(source, s.item), _slot=s, _conn=conn)
            for s in conn.slots
        ]
        return conn, edges

    async def runs(
        self, info: Info, source: str, filters: dict[str, Any], page: dict[str, Any]
    ) -> RunConnection:
        if filters.get("run_group_id") is not None:
            raise bad_input(
                "`runGroupId` is HealthOmics' compute pool; a Tencent run group is `batchId`"
            )
        p = _provider(info, source)
        listing = p.runs(
            run_group_id=filters.get("batch_id"),
            status=filters.get("status"),
            user_defined_id=filters.get("name"),
        )
        conn = await info.context.loaders.connection(p, listing, **page)
        return run_connection(info, source, conn)
