"""Live subscriptions over a real WebSocket (graphql-transport-ws) on simulated upstream time.

Each test gets its own emulator (its clock moves) and the gateway served on loopback, with tiny
poll intervals; the emulator's call log shows what the polling cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from gateway.app import create_app
from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.aws.data import seconds
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.healthomics.timeline import STARTING_S
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id
from gateway.live.hub import Hub
from tests.conftest import HO_SOURCE, settings_for
from tests.graphql_ws import GraphQLWS

INTERVAL = 0.02
MAX_INTERVAL = 0.08
#: A HealthOmics run is STARTING for this long before it starts RUNNING (emulator timeline).
STARTING = seconds(STARTING_S)

RUN_UPDATED = """subscription($id: ID!) { runUpdated(id: $id) {
  id nativeId name status state stoppedAt
  tasks(first: 100) { edges { node { nativeId status } } }
} }"""
BATCH_PROGRESS = """subscription($id: ID!) { batchProgress(id: $id) {
  nativeId status state totalRuns
  ... on HealthOmicsBatch { runSummary { pendingRunCount startingRunCount runningRunCount
    completedRunCount failedRunCount } }
} }"""


@dataclass
class Live:
    emulator: Emulator
    url: str
    app: Any

    @property
    def hub(self) -> Hub:
        hub: Hub = self.app.state.hub
        return hub

    def get_runs(self) -> int:
        return self.emulator.calls.counts().get("omics:GetRun", 0)

    def advance_to(self, instant: datetime, plus: float = 1.0) -> None:
        clock = self.emulator.clock
        clock.advance((instant - clock.now()).total_seconds() + plus)


@pytest.fixture
def live() -> Iterator[Live]:
    os.environ["AWS_ACCESS_KEY_ID"] = DEMO_ACCESS_KEY_ID
    os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_SECRET_ACCESS_KEY
    emulator = create_emulator(seed=11, scale="small", quotas=False)
    with LoopbackServer(emulator.app) as upstream:
        settings = settings_for(
            upstream.url,
            subscriptions={
                "poll_interval_seconds": INTERVAL,
                "max_interval_seconds": MAX_INTERVAL,
            },
        )
        app = create_app(settings)
        with LoopbackServer(app) as gateway:
            yield Live(emulator, gateway.url.replace("http://", "ws://") + "/graphql", app)


def pending_run(live: Live) -> str:
    ho = live.emulator.healthomics
    return str(next(r["id"] for r in ho.all_runs() if r["status"] == "PENDING"))


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def polls_pass(live: Live, n: int = 3) -> None:
    """Wait until the poller has asked upstream `n` more times."""
    start = live.get_runs()
    await until(lambda: live.get_runs() >= start + n)


def run_of(message: dict[str, Any], op: str) -> dict[str, Any]:
    assert message["id"] == op and message["type"] == "next", message
    assert "errors" not in message["payload"], message["payload"]
    run: dict[str, Any] = message["payload"]["data"]["runUpdated"]
    return run


async def test_a_subscriber_sees_each_state_of_a_run_once_in_order(live: Live) -> None:
    ho = live.emulator.healthomics
    run_id = pending_run(live)
    plan = ho.run_plan(run_id)
    boundaries = [plan.start - STARTING, plan.start, plan.finish]
    seen: list[str] = []
    async with GraphQLWS.connect(live.url) as ws:
        op = await ws.subscribe(RUN_UPDATED, id=global_id("HealthOmicsRun", HO_SOURCE, run_id))
        first = run_of(await ws.receive(), op)
        seen.append(first["status"])
        for boundary in boundaries:
            # Time passes within the state: polls go on, nothing is pushed.
            live.advance_to(boundary, plus=-2.0)
            await polls_pass(live)
            assert await ws.quiet(MAX_INTERVAL) == [], "an unchanged run is not pushed again"
            live.advance_to(boundary)
            run = run_of(await ws.receive(), op)
            truth = ho.run(run_id)
            assert (run["nativeId"], run["status"]) == (run_id, truth["status"])
            # The fields under the run are read at the event, not from an earlier cache.
            tasks = [(t["node"]["nativeId"], t["node"]["status"]) for t in run["tasks"]["edges"]]
            assert tasks == [(t["taskId"], t["status"]) for t in ho.tasks(run_id)[:100]]
            seen.append(run["status"])
        assert await ws.receive() == {"id": op, "type": "complete"}
    assert seen == ["PENDING", "STARTING", "RUNNING", ho.run(run_id)["status"]]
    assert seen[-1] in ("COMPLETED", "FAILED")
    await until(lambda: live.hub.pollers == 0)


async def test_a_hundred_subscribers_cost_one_poller(live: Live) -> None:
    ho = live.emulator.healthomics
    run_id = pending_run(live)
    plan = ho.run_plan(run_id)
    gid = global_id("HealthOmicsRun", HO_SOURCE, run_id)
    query = """subscription($id: ID!) { runUpdated(id: $id) {
      status tasks(first: 10) { edges { node { status } } } } }"""
    live.emulator.calls.clear()
    async with contextlib.AsyncExitStack() as stack:
        clients = await asyncio.gather(
            *(stack.enter_async_context(GraphQLWS.connect(live.url)) for _ in range(100))
        )
        ops = [await ws.subscribe(query, id=gid) for ws in clients]
        firsts = await asyncio.gather(*(ws.receive() for ws in clients))
        assert {run_of(m, op)["status"] for m, op in zip(firsts, ops, strict=True)} == {"PENDING"}
        assert live.hub.pollers == 1
        stats = live.hub.stats(("HealthOmicsRun", HO_SOURCE, run_id))
        assert stats is not None and stats.subscribers == 100
        await polls_pass(live, 5)
        assert live.hub.pollers == 1

        live.advance_to(plan.finish)
        lasts = await asyncio.gather(*(ws.receive() for ws in clients))
        final = ho.run(run_id)["status"]
        assert {run_of(m, op)["status"] for m, op in zip(lasts, ops, strict=True)} == {final}
        ends = await asyncio.gather(*(ws.receive() for ws in clients))
        assert all(m == {"id": op, "type": "complete"} for m, op in zip(ends, ops, strict=True))
    await until(lambda: live.hub.pollers == 0)
    # Exactly one GetRun per poll tick of the one poller, not one per subscriber; what the
    # subscribers select under the run is read once per event (two events), not per subscriber.
    assert live.hub.polls < 100
    assert live.emulator.calls.counts() == {
        "omics:GetRun": live.hub.polls,
        "omics:ListRunTasks": 2,
    }


async def test_the_poller_stops_when_the_last_subscriber_leaves(live: Live) -> None:
    gid = global_id("HealthOmicsRun", HO_SOURCE, pending_run(live))
    query = "subscription($id: ID!) { runUpdated(id: $id) { status } }"
    async with GraphQLWS.connect(live.url) as a, GraphQLWS.connect(live.url) as b:
        op_a, op_b = await a.subscribe(query, id=gid), await b.subscribe(query, id=gid)
        run_of(await a.receive(), op_a)
        run_of(await b.receive(), op_b)
        await a.complete(op_a)
        await polls_pass(live)
        assert live.hub.pollers == 1, "b still listens"
    await until(lambda: live.hub.pollers == 0)
    calls = live.get_runs()
    await asyncio.sleep(4 * MAX_INTERVAL)
    assert live.get_runs() == calls, "nobody listens: no more upstream calls"


async def test_batch_progress_follows_run_counts_until_the_batch_settles(live: Live) -> None:
    ho = live.emulator.healthomics
    batch_id = next(b for b in ho.batch_ids() if ho.batch(b)["status"] == "INPROGRESS")
    runs = [ho.run_plan(s["runId"]) for s in ho.runs_in_batch(batch_id) if s["runId"]]
    now = live.emulator.clock.now()
    instants = sorted(t for r in runs for t in (r.start - STARTING, r.start, r.finish) if t > now)
    assert instants, "the batch has runs still to progress"
    seen = []
    async with GraphQLWS.connect(live.url) as ws:
        op = await ws.subscribe(
            BATCH_PROGRESS, id=global_id("HealthOmicsBatch", HO_SOURCE, batch_id)
        )
        for instant in [None, *instants]:
            if instant is not None:
                before = ho.batch(batch_id)
                live.advance_to(instant, plus=0.01)
                if ho.batch(batch_id) == before:
                    continue
            message = await ws.receive()
            assert message["type"] == "next", message
            batch = message["payload"]["data"]["batchProgress"]
            truth = ho.batch(batch_id)
            assert batch["status"] == truth["status"]
            for key, value in batch["runSummary"].items():
                assert value == truth["runSummary"][key], key
            seen.append(batch["status"])
        assert await ws.receive() == {"id": op, "type": "complete"}
    assert seen[0] == "INPROGRESS" and seen[-1] == "PROCESSED"
    assert len(seen) > 2


async def test_bad_ids_are_refused_without_polling(live: Live) -> None:
    query = "subscription($id: ID!) { runUpdated(id: $id) { status } }"
    batch_gid = global_id("HealthOmicsBatch", HO_SOURCE, live.emulator.healthomics.batch_ids()[0])
    async with GraphQLWS.connect(live.url) as ws:
        for bad in ("not-an-id", batch_gid, global_id("HealthOmicsRun", "nowhere", "1234567")):
            op = await ws.subscribe(query, id=bad)
            message = await ws.receive()
            assert message["id"] == op and message["payload"]["data"] is None
            codes = [e["extensions"]["code"] for e in message["payload"]["errors"]]
            assert codes in (["BAD_USER_INPUT"], ["NOT_FOUND"]), message
            assert await ws.receive() == {"id": op, "type": "complete"}
    assert live.get_runs() == 0


async def test_an_unknown_run_is_not_found(live: Live) -> None:
    query = "subscription($id: ID!) { runUpdated(id: $id) { status } }"
    async with GraphQLWS.connect(live.url) as ws:
        op = await ws.subscribe(query, id=global_id("HealthOmicsRun", HO_SOURCE, "9999999"))
        message = await ws.receive()
        assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert await ws.receive() == {"id": op, "type": "complete"}
    assert live.get_runs() == 1
    await until(lambda: live.hub.pollers == 0)


async def test_a_throttled_upstream_delays_events_but_keeps_the_subscription(live: Live) -> None:
    gid = global_id("HealthOmicsRun", HO_SOURCE, pending_run(live))
    live.emulator.faults.configure("omics", "GetRun", throttle_rate=1.0)
    async with GraphQLWS.connect(live.url) as ws:
        op = await ws.subscribe("subscription($id: ID!) { runUpdated(id: $id) { status } }", id=gid)
        await until(lambda: live.get_runs() >= 4)  # a throttled poll (with retries) and more
        assert await ws.quiet(0.05) == []
        assert live.hub.pollers == 1
        live.emulator.faults.reset(quotas=False)
        assert run_of(await ws.receive(), op)["status"] == "PENDING"
