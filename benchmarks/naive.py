"""The anchor a user would otherwise write: a plain Strawberry + aiobotocore schema for the
reference tree — one resolver per field, no loaders, no cache, upstream tokens passed through
as cursors — run beside the gateway against the same emulator: upstream calls and cold wall.

It is what "a GraphQL layer over HealthOmics" looks like before anyone thinks about fan-out:
each run of a batch is read with its own GetRun, each run's tasks with their own ListRunTasks,
all as concurrently as graphql-core resolves sibling fields.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import strawberry
from aiobotocore.session import AioSession
from botocore.config import Config

from benchmarks.procs import EmulatorControl


@strawberry.type
class NaiveTask:
    name: str | None
    status: str | None
    cpus: int | None
    memory: int | None
    started_at: str | None
    stopped_at: str | None


@strawberry.type
class NaiveTaskEdge:
    node: NaiveTask


@strawberry.type
class NaiveTaskConnection:
    edges: list[NaiveTaskEdge]
    end_cursor: str | None


@strawberry.type
class NaiveRun:
    run_id: strawberry.Private[str]
    name: str | None
    status: str | None
    started_at: str | None
    stopped_at: str | None

    @strawberry.field
    async def tasks(
        self, info: strawberry.Info, first: int = 100, after: str | None = None
    ) -> NaiveTaskConnection:
        kwargs: dict[str, Any] = {"id": self.run_id, "maxResults": first}
        if after:
            kwargs["startingToken"] = after
        page = await info.context["client"].list_run_tasks(**kwargs)
        edges = [
            NaiveTaskEdge(
                node=NaiveTask(
                    name=t.get("name"),
                    status=t.get("status"),
                    cpus=t.get("cpus"),
                    memory=t.get("memory"),
                    started_at=str(t.get("startTime")),
                    stopped_at=str(t.get("stopTime")),
                )
            )
            for t in page.get("items", [])
        ]
        return NaiveTaskConnection(edges=edges, end_cursor=page.get("nextToken"))


@strawberry.type
class NaiveSubmission:
    run_setting_id: str | None
    submission_status: str | None


@strawberry.type
class NaiveRunEdge:
    submission: NaiveSubmission
    run_id: strawberry.Private[str | None]

    @strawberry.field
    async def node(self, info: strawberry.Info) -> NaiveRun | None:
        if not self.run_id:
            return None
        run = await info.context["client"].get_run(id=self.run_id)
        return NaiveRun(
            run_id=self.run_id,
            name=run.get("name"),
            status=run.get("status"),
            started_at=str(run.get("startTime")),
            stopped_at=str(run.get("stopTime")),
        )


@strawberry.type
class NaiveRunConnection:
    edges: list[NaiveRunEdge]
    end_cursor: str | None


@strawberry.type
class NaiveBatch:
    batch_id: strawberry.Private[str]
    name: str | None
    status: str | None

    @strawberry.field
    async def runs(
        self, info: strawberry.Info, first: int = 100, after: str | None = None
    ) -> NaiveRunConnection:
        kwargs: dict[str, Any] = {"batchId": self.batch_id, "maxItems": first}
        if after:
            kwargs["startingToken"] = after
        page = await info.context["client"].list_runs_in_batch(**kwargs)
        edges = [
            NaiveRunEdge(
                submission=NaiveSubmission(
                    run_setting_id=s.get("runSettingId"),
                    submission_status=s.get("submissionStatus"),
                ),
                run_id=s.get("runId"),
            )
            for s in page.get("runs", [])
        ]
        return NaiveRunConnection(edges=edges, end_cursor=page.get("nextToken"))


@strawberry.type
class NaiveQuery:
    @strawberry.field
    async def batch(self, info: strawberry.Info, id: str) -> NaiveBatch:
        batch = await info.context["client"].get_batch(batchId=id)
        return NaiveBatch(batch_id=id, name=batch.get("name"), status=batch.get("status"))


SCHEMA = strawberry.Schema(query=NaiveQuery)
QUERY = """query Naive($id: String!) { batch(id: $id) { name status runs(first: 100) {
  edges { submission { runSettingId submissionStatus } node { name status startedAt stoppedAt
    tasks(first: 100) { edges { node { name status cpus memory startedAt stoppedAt } } } } } } } }"""


async def cold_tree(url: str, batch: str) -> tuple[float, int]:
    """One cold tree through the naive schema: (wall seconds, tasks seen)."""
    session = AioSession()
    cfg = Config(inject_host_prefix=False, max_pool_connections=128, retries={"mode": "standard"})
    async with session.create_client(
        "omics", region_name="us-east-1", endpoint_url=url, config=cfg
    ) as client:
        await client.get_batch(
            batchId=batch
        )  # open the connection pool, as the gateway's warm-up does
        start = time.perf_counter()
        result = await SCHEMA.execute(
            QUERY, variable_values={"id": batch}, context_value={"client": client}
        )
        wall = time.perf_counter() - start
    if result.errors:
        raise RuntimeError(f"naive query failed: {result.errors[:3]}")
    assert result.data is not None
    edges = result.data["batch"]["runs"]["edges"]
    tasks = sum(len(e["node"]["tasks"]["edges"]) for e in edges if e["node"])
    return wall, tasks


async def naive_runs(emu: EmulatorControl, batch: str, rounds: int = 3) -> tuple[float, int, int]:
    """Median cold wall, upstream calls of the last round, tasks seen."""
    walls, calls, tasks = [], 0, 0
    for _ in range(rounds):
        emu.clear_calls()
        wall, tasks = await cold_tree(emu.url, batch)
        calls = sum(emu.calls().values()) - 1  # less the warm-up GetBatch
        walls.append(wall)
    return statistics.median(walls), calls, tasks
