"""EventBridge → SQS push: a status change reaches the subscriber before any poll; dropped
events are caught by the safety-net poll; duplicated or reordered ones change nothing; forged
ones for an unknown account change nothing, and a flood costs at most the rate-limited reads."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
import pytest
from aiobotocore.session import get_session

from gateway.app import create_app
from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.healthomics.timeline import STARTING_S, RunPlan
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id
from tests.conftest import CURSOR_KEY, HO_SOURCE, settings_for
from tests.graphql_ws import GraphQLWS

RUN_UPDATED = "subscription($id: ID!) { runUpdated(id: $id) { status } }"


@dataclass
class Catalogue:
    """Stands in for the run catalogue's refresh entry point."""

    refreshed: list[tuple[str, str, str | None]] = field(default_factory=list)
    failures: int = 0

    async def refresh_run(self, source: str, run_id: str, status: str | None) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("catalogue locked")
        self.refreshed.append((source, run_id, status))


@pytest.fixture
def emulator() -> Iterator[tuple[Emulator, str]]:
    os.environ["AWS_ACCESS_KEY_ID"] = DEMO_ACCESS_KEY_ID
    os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_SECRET_ACCESS_KEY
    emu = create_emulator(seed=31, scale="small", quotas=False)
    with LoopbackServer(emu.app) as server:
        yield emu, server.url


@dataclass
class Pushed:
    emulator: Emulator
    upstream_url: str
    ws_url: str
    app: Any
    catalogue: Catalogue

    def get_runs(self) -> int:
        return self.emulator.calls.counts().get("omics:GetRun", 0)

    def queued(self) -> int:
        assert self.emulator.sqs is not None
        queue = self.emulator.sqs.get(self.emulator.event_queue_url)
        assert queue is not None
        return len(queue)


@asynccontextmanager
async def pushed(
    emu: Emulator, url: str, poll: float, safety: float, reads_per_second: float = 20.0
) -> AsyncIterator[Pushed]:
    emu.faults.reset(quotas=False)
    ho = emu.healthomics
    settings = settings_for(
        url,
        sources=[
            {
                "name": HO_SOURCE,
                "provider": "healthomics",
                "region": ho.region,
                "endpoint_url": url,
                "account": ho.account,
            }
        ],
        cursors={"keys": [CURSOR_KEY]},
        subscriptions={"poll_interval_seconds": poll, "max_interval_seconds": poll},
        events={
            "sqs_queue_url": emu.event_queue_url,
            "endpoint_url": url,
            "wait_seconds": 1,
            "safety_poll_interval_seconds": safety,
            "max_reads_per_second": reads_per_second,
        },
    )
    catalogue = Catalogue()
    app = create_app(settings, refresher=catalogue)
    with LoopbackServer(app) as gateway:
        yield Pushed(emu, url, gateway.url.replace("http://", "ws://") + "/graphql", app, catalogue)
    emu.faults.reset(quotas=False)


def pending_run(emu: Emulator) -> RunPlan:
    ho = emu.healthomics
    now = emu.clock.now()
    for item in ho.all_runs():
        plan = ho.run_plan(item["id"])
        if (
            plan.status(now) == "PENDING"
            and plan.cancel_at is None
            and plan.deleted_at is None
            and plan.start - timedelta(seconds=STARTING_S) > now + timedelta(seconds=5)
        ):
            return plan
    raise AssertionError("no pending run left")


def advance_to(emu: Emulator, instant: Any) -> None:
    emu.clock.advance((instant - emu.clock.now()).total_seconds() + 1)


async def statuses(ws: GraphQLWS, n: int, timeout: float = 15.0) -> list[str]:
    got = []
    for _ in range(n):
        msg = await ws.receive(timeout=timeout)
        assert msg["type"] == "next", msg
        got.append(msg["payload"]["data"]["runUpdated"]["status"])
    return got


async def until(condition: Any, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_an_event_reaches_the_subscriber_before_any_poll(
    emulator: tuple[Emulator, str],
) -> None:
    emu, url = emulator
    plan = pending_run(emu)
    async with (
        pushed(emu, url, poll=120.0, safety=600.0) as p,
        GraphQLWS.connect(p.ws_url) as ws,
    ):
        await ws.subscribe(RUN_UPDATED, id=global_id("HealthOmicsRun", HO_SOURCE, plan.id))
        assert await statuses(ws, 1) == ["PENDING"]
        await until(lambda: HO_SOURCE in p.app.state.hub.pushed)
        before = p.get_runs()
        advance_to(emu, plan.start - timedelta(seconds=STARTING_S))
        assert await statuses(ws, 1) == ["STARTING"]
        # Polls are minutes apart: the one read since is the event's.
        assert p.get_runs() == before + 1
        await until(lambda: p.queued() == 0)  # deleted once handled
        stats = p.app.state.events.stats
        assert stats.woken >= 1 and stats.unknown == 0
        assert (HO_SOURCE, plan.id, "STARTING") in p.catalogue.refreshed


async def test_dropped_events_are_caught_by_the_safety_net_poll(
    emulator: tuple[Emulator, str],
) -> None:
    emu, url = emulator
    plan = pending_run(emu)
    async with pushed(emu, url, poll=0.2, safety=0.5) as p:
        emu.faults.configure("events", "*", drop_rate=1.0)
        async with GraphQLWS.connect(p.ws_url) as ws:
            await ws.subscribe(RUN_UPDATED, id=global_id("HealthOmicsRun", HO_SOURCE, plan.id))
            assert await statuses(ws, 1) == ["PENDING"]
            emitted = len(emu.events.emitted)  # type: ignore[union-attr]
            advance_to(emu, plan.start - timedelta(seconds=STARTING_S))
            assert len(emu.events.emitted) > emitted  # type: ignore[union-attr]
            assert p.queued() == 0, "every event was dropped"
            assert await statuses(ws, 1) == ["STARTING"]


async def test_duplicated_and_reordered_events_are_harmless(
    emulator: tuple[Emulator, str],
) -> None:
    emu, url = emulator
    plan = pending_run(emu)
    async with pushed(emu, url, poll=120.0, safety=600.0) as p:
        emu.faults.configure("events", "*", duplicate_rate=1.0, reorder=True)
        async with GraphQLWS.connect(p.ws_url) as ws:
            await ws.subscribe(RUN_UPDATED, id=global_id("HealthOmicsRun", HO_SOURCE, plan.id))
            assert await statuses(ws, 1) == ["PENDING"]
            await until(lambda: HO_SOURCE in p.app.state.hub.pushed)
            # One jump crosses STARTING and RUNNING: their events arrive twice each, newest first.
            advance_to(emu, plan.start)
            assert await statuses(ws, 1) == ["RUNNING"]
            advance_to(emu, plan.finish)
            assert await statuses(ws, 1) in (["COMPLETED"], ["FAILED"])
            assert (await ws.receive())["type"] == "complete"
            assert await ws.quiet(0.5) == []
            await until(lambda: p.queued() == 0)


async def test_forged_events_change_nothing_and_a_flood_is_rate_limited(
    emulator: tuple[Emulator, str],
) -> None:
    emu, url = emulator
    plan = pending_run(emu)
    ho = emu.healthomics

    def envelope(account: str) -> str:
        detail = {
            "omicsVersion": "1.0.0",
            "arn": f"arn:aws:omics:{ho.region}:{account}:run/{plan.id}",
            "status": "COMPLETED",
            "uuid": plan.uuid,
            "runId": plan.id,
            "runName": plan.name,
            "workflowId": "1",
            "workflowName": "x",
            "runOutputUri": "s3://x",
        }
        return orjson.dumps(
            {
                "version": "0",
                "id": "f",
                "detail-type": "Run Status Change",
                "source": "aws.omics",
                "account": account,
                "time": "2026-11-02T09:00:00Z",
                "region": ho.region,
                "resources": [],
                "detail": detail,
            }
        ).decode()

    async with (
        pushed(emu, url, poll=120.0, safety=600.0, reads_per_second=2.0) as p,
        GraphQLWS.connect(p.ws_url) as ws,
    ):
        await ws.subscribe(RUN_UPDATED, id=global_id("HealthOmicsRun", HO_SOURCE, plan.id))
        assert await statuses(ws, 1) == ["PENDING"]
        before = p.get_runs()
        async with get_session().create_client(
            "sqs", region_name=ho.region, endpoint_url=url
        ) as sqs:
            for _ in range(5):
                await sqs.send_message(
                    QueueUrl=emu.event_queue_url, MessageBody=envelope("000000000000")
                )
            await sqs.send_message(QueueUrl=emu.event_queue_url, MessageBody="not json")
            await until(lambda: p.queued() == 0)
            stats = p.app.state.events.stats
            assert stats.unknown == 6
            assert p.get_runs() == before, "a forged event for an unknown account reads nothing"
            assert await ws.quiet(0.5) == [], "and tells the subscriber nothing"
            # A flood naming a real account and run: hints only, at most the paced reads.
            for _ in range(40):
                await sqs.send_message(
                    QueueUrl=emu.event_queue_url, MessageBody=envelope(ho.account)
                )
            await until(lambda: p.queued() == 0)
        assert stats.limited > 0
        reads = p.get_runs() - before
        assert 1 <= reads <= stats.woken + 1 and stats.woken + stats.limited == 40
        assert await ws.quiet(0.5) == [], "the run did not change: nothing to tell"


async def test_a_message_whose_handling_fails_comes_back_soon_and_is_then_handled(
    emulator: tuple[Emulator, str],
) -> None:
    emu, url = emulator
    plan = pending_run(emu)
    async with pushed(emu, url, poll=120.0, safety=600.0) as p:
        await until(lambda: HO_SOURCE in p.app.state.hub.pushed)
        p.catalogue.failures = 1
        advance_to(emu, plan.start - timedelta(seconds=STARTING_S))
        stats = p.app.state.events.stats
        await until(lambda: stats.failed == 1 and p.queued() == 1)  # kept, not deleted
        emu.clock.advance(6)  # past the 5 s it was hidden for (ChangeMessageVisibility)
        await until(lambda: p.queued() == 0)
        assert stats.failed == 1
        assert len(p.catalogue.refreshed) == len(emu.events.emitted)  # type: ignore[union-attr]


def receives(emu: Emulator) -> list[Any]:
    return [c for c in emu.calls.calls() if c.operation == "ReceiveMessage"]


def _role_source(emu: Emulator, url: str, queue_url: str, role: bool) -> dict[str, Any]:
    ho, other = emu.healthomics, emu.accounts[1]
    source: dict[str, Any] = {
        "name": "acct-b",
        "provider": "healthomics",
        "region": ho.region,
        "endpoint_url": url,
        "account": other,
        "events_queue_url": queue_url,
    }
    if role:
        source["role_arn"] = f"arn:aws:iam::{other}:role/runs-reader"
    return source


async def test_a_sources_queue_is_read_with_that_sources_assumed_role(
    emulator: tuple[Emulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu, url = emulator
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", url)
    assert emu.sqs is not None
    other = emu.accounts[1]
    queue = emu.sqs.create(emu.healthomics.region, other, "omics-events-b")
    envelope = orjson.dumps(
        {
            "source": "aws.omics",
            "detail-type": "Run Status Change",
            "account": other,
            "region": emu.healthomics.region,
            "detail": {"runId": "7000001", "status": "RUNNING"},
        }
    ).decode()
    queue.send(envelope)
    for role in (False, True):  # the default chain is another account's: refused at the queue
        emu.calls.clear()
        settings = settings_for(
            url,
            sources=[_role_source(emu, url, queue.url, role)],
            cursors={"keys": [CURSOR_KEY]},
            events={"wait_seconds": 1},
        )
        refreshed = Catalogue().refreshed
        with LoopbackServer(create_app(settings, refresher=Catalogue(refreshed))):
            if role:
                await until(refreshed.__len__)
                assert refreshed == [("acct-b", "7000001", "RUNNING")]
                assert emu.calls.counts()["sts:AssumeRole"] == 1
                assert {c.status for c in receives(emu)} == {200}
            else:
                await until(lambda: receives(emu))
                assert {c.status for c in receives(emu)} == {403}
                assert refreshed == []
                assert len(queue) == 1
