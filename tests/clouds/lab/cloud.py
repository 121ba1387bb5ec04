"""A fourth cloud defined entirely under tests/: "Lab", runs with steps over in-memory lists.

It is registered through the registry (`DEFAULT_CLOUDS.with_cloud(LAB)`) with no file under
`gateway/` changed: its own source options, provider, GraphQL types, roots and state tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import strawberry

from gateway.clouds.base import Cloud
from gateway.config import SourceConfig, SourceOptions
from gateway.errors import ErrorCode, GatewayError, bad_input
from gateway.graph.context import Info
from gateway.graph.ids import global_id
from gateway.graph.interfaces import (
    Batch,
    Node,
    Run,
    RunConnection,
    Task,
    TaskConnection,
    connection,
)
from gateway.graph.relay import PageArgs, relay
from gateway.graph.roots import RunFilters
from gateway.states import RunState, StateTables, TaskState
from gateway.types import Provider, ProviderKind, Record
from gateway.upstream.wiring import Wiring
from tests.clouds.lab.memory import MemoryProvider

KIND = ProviderKind("LAB", "lab")
STATES = StateTables(
    KIND,
    runs={"queued": RunState.QUEUED, "running": RunState.RUNNING, "done": RunState.SUCCEEDED},
    tasks={"ok": TaskState.SUCCEEDED, "bad": TaskState.FAILED},
)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
RUNS = ""  # the parent key of the root run listing


class LabOptions(SourceOptions):
    """The lab's own source keys: how many runs its list holds, how many steps each run has."""

    runs: int = 10
    steps: int = 3


def lab_lists(runs: int, steps: int) -> dict[str, list[Record]]:
    """Deterministic data: run `r<i>` with `steps` steps each, a status cycling through all."""
    status = ("queued", "running", "done")
    lists: dict[str, list[Record]] = {RUNS: []}
    for i in range(runs):
        run_id = f"r{i}"
        made = EPOCH + timedelta(minutes=i)
        lists[RUNS].append({"id": run_id, "label": f"run {i}", "status": status[i % 3], "at": made})
        lists[run_id] = [
            {"id": f"s{j}", "label": f"step {j}", "status": "ok" if j % 4 else "bad"}
            for j in range(steps)
        ]
    return lists


def _provider(info: Info, source: str) -> MemoryProvider:
    return info.context.upstream.provider_as(source, MemoryProvider)


@strawberry.type(description="A lab step (test cloud).")
class LabStep(Task):
    @classmethod
    def make(cls, source: str, run_id: str, record: Record) -> LabStep:
        key = f"{run_id}/{record['id']}"
        return cls(
            id=strawberry.ID(global_id("LabStep", source, key)),
            source=source,
            provider=KIND,
            native_id=key,
            name=record["label"],
            status=record["status"],
            state=STATES.task_state(record["status"]),
            started_at=None,
            stopped_at=None,
        )


@strawberry.type(description="A lab run (test cloud).")
class LabRun(Run):
    label: str

    @classmethod
    def make(cls, source: str, record: Record) -> LabRun:
        return cls(
            id=strawberry.ID(global_id("LabRun", source, record["id"])),
            source=source,
            provider=KIND,
            native_id=record["id"],
            name=record["label"],
            label=record["label"],
            status=record["status"],
            state=STATES.run_state(record["status"]),
            created_at=record["at"],
            started_at=None,
            stopped_at=None,
        )

    @strawberry.field
    async def batch(self, info: Info) -> Batch | None:
        return None

    @strawberry.field
    @relay
    async def tasks(self, info: Info, *, page: PageArgs) -> TaskConnection | None:
        p = _provider(info, self.source)
        listing = p.listing("ListSteps", self.native_id)
        conn = await info.context.loaders.connection(p, listing, **page)
        source, run_id = self.source, self.native_id
        return connection(TaskConnection, conn, lambda item: LabStep.make(source, run_id, item))


def _not_found(source: str) -> GatewayError:
    return GatewayError("lab object not found", ErrorCode.NOT_FOUND, source=source, provider=KIND)


class LabRoots:
    node_types = frozenset({"LabRun", "LabStep"})

    async def run(self, info: Info, source: str, run_id: str) -> LabRun:
        record = _provider(info, source).record(RUNS, run_id)
        if record is None:
            raise _not_found(source)
        return LabRun.make(source, record)

    async def node(self, info: Info, type_name: str, source: str, key: str) -> Node:
        if type_name == "LabRun":
            return await self.run(info, source, key)
        run_id, _, step_id = key.partition("/")
        record = _provider(info, source).record(run_id, step_id)
        if record is None:
            raise _not_found(source)
        return LabStep.make(source, run_id, record)

    async def runs(
        self, info: Info, source: str, filters: RunFilters, page: PageArgs
    ) -> RunConnection:
        if filters != RunFilters():
            raise bad_input("lab runs take no filters")
        p = _provider(info, source)
        conn = await info.context.loaders.connection(p, p.listing("ListRuns", RUNS), **page)
        return connection(RunConnection, conn, lambda item: LabRun.make(source, item))


def _providers(sources: Sequence[SourceConfig], wiring: Wiring) -> dict[str, Provider]:
    made: dict[str, Provider] = {}
    for source in sources:
        options = LabOptions.model_validate(source.model_dump(exclude_none=True))
        made[source.name] = MemoryProvider(
            source.name, KIND, lab_lists(options.runs, options.steps)
        )
    return made


_ROOTS = LabRoots()
LAB = Cloud(
    STATES,
    LabOptions,
    (LabRun, LabStep),
    _ROOTS,
    _providers,
    hint="lab runs have no batches",
)
