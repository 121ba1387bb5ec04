"""The executor's floor: the reference tree's shape as a bare graphql-core schema over plain dicts,
and as a Strawberry schema over prebuilt plain objects (no loaders, ids, cursors or caches)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import build_schema

SDL = """
scalar DateTime
enum RunState { QUEUED STARTING RUNNING STOPPING SUCCEEDED PARTIALLY_SUCCEEDED FAILED CANCELLED
  ABORTED TIMED_OUT DELETED UNKNOWN }
interface Batch { name: String status: String runs(first: Int): BatchRunConnection }
type HealthOmicsBatch implements Batch { name: String status: String runs(first: Int): BatchRunConnection }
type BatchRunConnection { edges: [BatchRunEdge!]! }
type BatchRunEdge { submission: RunSubmission node: Run }
type RunSubmission { runSettingId: String submissionStatus: String }
interface Run { name: String status: String state: RunState startedAt: DateTime
  stoppedAt: DateTime tasks(first: Int): TaskConnection }
type HealthOmicsRun implements Run { name: String status: String state: RunState
  startedAt: DateTime stoppedAt: DateTime tasks(first: Int): TaskConnection }
type TaskConnection { edges: [TaskEdge!]! }
type TaskEdge { node: Task! }
interface Task { name: String status: String startedAt: DateTime stoppedAt: DateTime }
type HealthOmicsTask implements Task { name: String status: String cpus: Int memory: Int
  startedAt: DateTime stoppedAt: DateTime }
type Query { batch(source: String!, id: String!): Batch }
"""

bare_schema = build_schema(SDL)
# graphql-core's default resolver takes `source` positionally, so the root field gets its own.
bare_schema.query_type.fields["batch"].resolve = lambda root, info, **args: root["batch"]  # type: ignore[union-attr]


def plain_dicts(data: dict[str, Any]) -> dict[str, Any]:
    """The gateway's answer as the root value of the bare schema (typenames for interfaces)."""
    batch = data["batch"]
    edges = []
    for edge in batch["runs"]["edges"]:
        node = edge["node"]
        if node is not None:
            tasks = node.get("tasks")
            node = {**node, "__typename": "HealthOmicsRun"}
            if tasks is not None:
                node["tasks"] = {
                    "edges": [
                        {"node": {**t["node"], "__typename": "HealthOmicsTask"}}
                        for t in tasks["edges"]
                    ]
                }
        edges.append({"submission": edge["submission"], "node": node})
    return {"batch": {**batch, "__typename": "HealthOmicsBatch", "runs": {"edges": edges}}}


# -- Strawberry over prebuilt plain objects ------------------------------------------------------


@strawberry.interface
class Task:
    name: str | None
    status: str | None
    started_at: str | None
    stopped_at: str | None


@strawberry.type
class HealthOmicsTask(Task):
    cpus: int | None
    memory: int | None


@strawberry.type
class TaskEdge:
    node: Task


@strawberry.type
class TaskConnection:
    edges: list[TaskEdge]


@strawberry.interface
class Run:
    name: str | None
    status: str | None
    state: str | None
    started_at: str | None
    stopped_at: str | None
    _tasks: strawberry.Private[TaskConnection | None]

    @strawberry.field
    def tasks(self, first: int | None = None) -> TaskConnection | None:
        return self._tasks


@strawberry.type
class HealthOmicsRun(Run):
    pass


@strawberry.type
class RunSubmission:
    run_setting_id: str | None
    submission_status: str | None


@strawberry.type
class BatchRunEdge:
    submission: RunSubmission | None
    node: Run | None


@strawberry.type
class BatchRunConnection:
    edges: list[BatchRunEdge]


@strawberry.interface
class Batch:
    name: str | None
    status: str | None
    _runs: strawberry.Private[BatchRunConnection]

    @strawberry.field
    def runs(self, first: int | None = None) -> BatchRunConnection:
        return self._runs


@strawberry.type
class HealthOmicsBatch(Batch):
    pass


def plain_objects(data: dict[str, Any]) -> HealthOmicsBatch:
    """The gateway's answer as prebuilt Strawberry objects."""
    batch = data["batch"]
    edges = []
    for edge in batch["runs"]["edges"]:
        node = edge["node"]
        run = None
        if node is not None:
            tasks = node.get("tasks")
            conn = None
            if tasks is not None:
                conn = TaskConnection(
                    edges=[
                        TaskEdge(
                            node=HealthOmicsTask(
                                name=t["node"]["name"],
                                status=t["node"]["status"],
                                started_at=t["node"]["startedAt"],
                                stopped_at=t["node"]["stoppedAt"],
                                cpus=t["node"]["cpus"],
                                memory=t["node"]["memory"],
                            )
                        )
                        for t in tasks["edges"]
                    ]
                )
            run = HealthOmicsRun(
                name=node["name"],
                status=node["status"],
                state=node["state"],
                started_at=node["startedAt"],
                stopped_at=node["stoppedAt"],
                _tasks=conn,
            )
        sub = edge["submission"]
        edges.append(
            BatchRunEdge(
                submission=RunSubmission(
                    run_setting_id=sub["runSettingId"], submission_status=sub["submissionStatus"]
                ),
                node=run,
            )
        )
    return HealthOmicsBatch(
        name=batch["name"], status=batch["status"], _runs=BatchRunConnection(edges=edges)
    )


@strawberry.type
class Query:
    @strawberry.field
    def batch(self, info: strawberry.Info, source: str, id: str) -> Batch | None:
        root: HealthOmicsBatch = info.root_value
        return root


strawberry_schema = strawberry.Schema(
    query=Query, types=[HealthOmicsBatch, HealthOmicsRun, HealthOmicsTask]
)
