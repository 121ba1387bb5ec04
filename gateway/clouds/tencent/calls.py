"""Tencent run calls as Tasks: GetRunCalls at a path, paged by the gateway with the same law.

A call's native key is its RunUuid plus its path (`/<CallName>[:<ScatterIndex>]/…`); a
sub-workflow lists its own calls one level down, a task lists none (and costs no call).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.clouds.tencent import log_fields
from gateway.clouds.tencent.provider import TencentOmicsProvider, child_path, parent_path
from gateway.clouds.tencent.states import KIND, STATES
from gateway.clouds.tencent.types import camel
from gateway.graph.context import Info
from gateway.graph.interfaces import Task, TaskConnection, connection, page_info
from gateway.graph.logs import LogLineConnection
from gateway.graph.records import build_node
from gateway.graph.relay import PageArgs, relay
from gateway.paging.window import Window
from gateway.types import Record
from gateway.upstream.connection import Connection, check_page_args


def _empty_connection(info: Info) -> Connection:
    window = Window([], has_previous=False, total=0, _has_next=False)
    return Connection(window, info.context.upstream.codec, b"")


async def call_connection(
    info: Info, source: str, run_uuid: str, path: str, page: PageArgs
) -> TaskConnection:
    """The calls listed at `path` (GetRunCalls, unpaged upstream) as a paged connection."""
    p = info.context.upstream.provider_as(source, TencentOmicsProvider)
    conn = await info.context.loaders.connection(p, p.calls(run_uuid, path), **page)
    make = TencentRunCall.make
    return connection(
        TaskConnection,
        conn,
        lambda item: make(source, run_uuid, path, item),
        total=conn.window.total,
    )


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
    #: The call's `Input` as listed; `_input_kept` is false when the listing held none (the
    #: run catalogue keeps calls without it unless `store_parameters` is on).
    _input: strawberry.Private[Any] = None
    _input_kept: strawberry.Private[bool] = True
    stdout_log: LogLineConnection | None = strawberry.field(resolver=log_fields.stdout_log)
    stderr_log: LogLineConnection | None = strawberry.field(resolver=log_fields.stderr_log)
    error_excerpt: list[str] | None = strawberry.field(
        resolver=log_fields.error_excerpt, metadata={"gateway_calls": 1}
    )

    @classmethod
    def make(cls, source: str, run_uuid: str, parent: str, record: Record) -> TencentRunCall:
        path = child_path(parent, record)
        rec = camel(record)
        status = rec.get("status")
        return build_node(
            cls,
            rec,
            source,
            f"{run_uuid}{path}",
            provider=KIND,
            run_uuid=run_uuid,
            path=path,
            name=rec.get("callName"),
            state=STATES.task_state(status),
            started_at=rec.get("startTime"),
            stopped_at=rec.get("endTime"),
            _input=rec.get("input"),
            _input_kept="Input" in record,
        )

    @strawberry.field(
        description="Upstream value under its upstream name; null when the upstream does not "
        "return it. Read upstream when the call was served from the run catalogue without it."
    )
    async def input(self, info: Info) -> JSON | None:
        if self._input_kept or self.run_uuid is None:
            kept: JSON | None = self._input
            return kept
        # Served from the run catalogue, which keeps no inputs unless `store_parameters` is
        # on: read them where they live (one GetRunCalls per listed path, kept briefly).
        p = info.context.upstream.provider_as(self.source, TencentOmicsProvider)
        parent = parent_path(self.path)
        for call in await p.get_run_calls(self.run_uuid, parent):
            if child_path(parent, call) == self.path:
                read: JSON | None = camel({"Input": call.get("Input")}).get("input")
                return read
        return None

    @strawberry.field(
        description="A sub-workflow's own calls (GetRunCalls at its path); else empty."
    )
    @relay
    async def calls(self, info: Info, *, page: PageArgs) -> TaskConnection | None:
        if self.run_type != "SubWorkflow":
            check_page_args(page["first"], page["last"])
            conn = _empty_connection(info)
            return TaskConnection(edges=[], page_info=page_info(conn), total_count=0)
        assert self.run_uuid is not None
        return await call_connection(info, self.source, self.run_uuid, self.path, page)
