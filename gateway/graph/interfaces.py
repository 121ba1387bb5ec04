"""The schema's fixed shape: Node, Batch, Run and Task, and the connections between them.

Interfaces carry what every provider has in common (normalised state and times); concrete types
in the provider modules add every upstream field under its upstream name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import strawberry

from gateway.graph.context import Info
from gateway.graph.provider import Provider
from gateway.graph.relay import PageArgs, relay
from gateway.paging.window import Slot, Window
from gateway.states import BatchState, RunState, TaskState
from gateway.types import ProviderKind, Record
from gateway.upstream.connection import Connection

strawberry.enum(RunState, description="A run's state, the same across providers.")
strawberry.enum(BatchState, description="A batch's state, the same across providers.")
strawberry.enum(TaskState, description="A task's state, the same across providers.")


@strawberry.type(description="One configured upstream account + region.")
class Source:
    name: str
    provider: ProviderKind = strawberry.field(graphql_type=Provider)
    region: str


@strawberry.interface(description="An object with a global id, refetchable with `node`.")
class Node:
    id: strawberry.ID


@strawberry.interface(description="A group of runs submitted together.")
class Batch(Node):
    source: str
    provider: ProviderKind = strawberry.field(graphql_type=Provider)
    native_id: str
    name: str | None
    status: str | None = strawberry.field(description="Exact upstream status value.")
    state: BatchState | None
    total_runs: int | None
    created_at: datetime | None

    @strawberry.field
    @relay
    async def runs(self, info: Info, *, page: PageArgs) -> BatchRunConnection | None:
        raise NotImplementedError


@strawberry.interface(description="One workflow or job run.")
class Run(Node):
    source: str
    provider: ProviderKind = strawberry.field(graphql_type=Provider)
    native_id: str
    name: str | None
    status: str | None = strawberry.field(description="Exact upstream status value.")
    state: RunState | None
    created_at: datetime | None
    started_at: datetime | None
    stopped_at: datetime | None
    synced_at: datetime | None = strawberry.field(
        default=None, description="When the catalogue last synced it; null when served live."
    )
    deleted_upstream: bool = strawberry.field(
        default=False, description="Upstream no longer has it; the catalogue still keeps it."
    )

    @strawberry.field
    async def batch(self, info: Info) -> Batch | None:
        raise NotImplementedError

    @strawberry.field
    @relay
    async def tasks(self, info: Info, *, page: PageArgs) -> TaskConnection | None:
        raise NotImplementedError


@strawberry.interface(description="One task (step, call) of a run.")
class Task(Node):
    source: str
    provider: ProviderKind = strawberry.field(graphql_type=Provider)
    native_id: str
    name: str | None
    status: str | None = strawberry.field(description="Exact upstream status value.")
    state: TaskState | None
    started_at: datetime | None
    stopped_at: datetime | None

    @strawberry.field(
        description="A failed task's last log lines that carry an error (else its last 20), so "
        "a failure list shows its cause in one query; null for other tasks and where the "
        "provider keeps no task log. Needs the `logs` grant (FORBIDDEN without it).",
        metadata={"gateway_calls": 1},  # one log read, counted by policy/cost.py
    )
    async def error_excerpt(self, info: Info) -> list[str] | None:
        return None


@strawberry.type(description="Relay page info; `hasNextPage` is never true when nothing follows.")
class PageInfo:
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None
    _window: strawberry.Private[Window]

    @strawberry.field
    async def has_next_page(self) -> bool:
        return await self._window.has_next()


def page_info(conn: Connection) -> PageInfo:
    slots = conn.slots
    return PageInfo(
        has_previous_page=conn.window.has_previous,
        start_cursor=conn.cursor(slots[0]) if slots else None,
        end_cursor=conn.cursor(slots[-1]) if slots else None,
        _window=conn.window,
    )


@strawberry.type(description="HealthOmics' record of one run's submission within a batch.")
class RunSubmission:
    run_setting_id: str | None
    run_id: str | None
    run_internal_uuid: str | None
    run_arn: str | None
    submission_status: str | None
    submission_failure_reason: str | None
    submission_failure_message: str | None


@strawberry.type
class _Edge:
    _slot: strawberry.Private[Slot]
    _conn: strawberry.Private[Connection]

    @strawberry.field
    def cursor(self) -> str:
        return self._conn.cursor(self._slot)


@strawberry.type
class BatchEdge(_Edge):
    node: Batch


@strawberry.type
class BatchConnection:
    edges: list[BatchEdge]
    page_info: PageInfo
    total_count: int | None


@strawberry.type
class BatchRunEdge(_Edge):
    submission: RunSubmission | None = strawberry.field(
        description="The submission record (HealthOmics only; null elsewhere)."
    )
    _node: strawberry.Private[Any]

    @strawberry.field(description="The run; null when its submission failed.")
    async def node(self, info: Info) -> Run | None:
        node = self._node
        if callable(node):
            result: Run | None = await node(info)
            return result
        return node  # type: ignore[no-any-return]


@strawberry.type
class BatchRunConnection:
    edges: list[BatchRunEdge]
    page_info: PageInfo
    total_count: int | None


@strawberry.type
class RunEdge(_Edge):
    node: Run


@strawberry.type
class RunConnection:
    edges: list[RunEdge]
    page_info: PageInfo
    total_count: int | None


@strawberry.type
class TaskEdge(_Edge):
    node: Task


@strawberry.type
class TaskConnection:
    edges: list[TaskEdge]
    page_info: PageInfo
    total_count: int | None


ConnectionT = TypeVar("ConnectionT", BatchConnection, RunConnection, TaskConnection)
_EDGES: dict[type, type[Any]] = {
    BatchConnection: BatchEdge,
    RunConnection: RunEdge,
    TaskConnection: TaskEdge,
}


def connection(
    kind: type[ConnectionT],
    conn: Connection,
    node: Callable[[Record], Any],
    *,
    total: int | None = None,
) -> ConnectionT:
    """One page of `conn` as a `kind` connection, each upstream item made a node by `node`."""
    edge = _EDGES[kind]
    edges = [edge(node=node(s.item), _slot=s, _conn=conn) for s in conn.slots]
    return kind(edges=edges, page_info=page_info(conn), total_count=total)


def batch_run_connection(
    conn: Connection,
    edge: Callable[[Record], tuple[RunSubmission | None, Any]],
    *,
    total: int | None = None,
) -> BatchRunConnection:
    """A batch's runs: `edge` gives each item's submission and its run (or a resolver of it)."""
    edges = []
    for s in conn.slots:
        submission, node = edge(s.item)
        edges.append(BatchRunEdge(submission=submission, _node=node, _slot=s, _conn=conn))
    return BatchRunConnection(edges=edges, page_info=page_info(conn), total_count=total)
