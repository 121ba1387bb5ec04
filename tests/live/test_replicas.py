"""Two gateway processes on one real Redis: 100 subscribers over both, one poller in all,
kill -9 of the poller's process ⇒ the other takes over; every stream is monotone,
duplicate-free and ends with the settled state."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from typing import Any

import redis
from websockets.exceptions import ConnectionClosed

from gateway.emulator.app import create_emulator
from gateway.emulator.healthomics.timeline import STARTING_S
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id
from tests.conftest import CURSOR_KEY, HO_SOURCE
from tests.graphql_ws import GraphQLWS
from tests.live.processes import Replica, replicas

INTERVAL = 0.2
RUN_UPDATED = "subscription($id: ID!) { runUpdated(id: $id) { status } }"
ORDER = ["PENDING", "STARTING", "RUNNING", "COMPLETED", "FAILED"]
SETTLED = {"COMPLETED", "FAILED"}


class Subscribers:
    """`n` subscriptions over a few connections to one replica, each stream recorded."""

    def __init__(self, replica: Replica, run: str, connections: int, each: int) -> None:
        self.replica = replica
        self.run = run
        self.shape = (connections, each)
        self.streams: dict[tuple[int, str], list[str]] = {}
        self.completed: set[tuple[int, str]] = set()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._connection(c)) for c in range(self.shape[0])]

    async def _connection(self, c: int) -> None:
        try:
            async with GraphQLWS.connect(self.replica.ws_url) as ws:
                for _ in range(self.shape[1]):
                    op = await ws.subscribe(RUN_UPDATED, id=self.run)
                    self.streams[(c, op)] = []
                while len([k for k in self.completed if k[0] == c]) < self.shape[1]:
                    msg = await ws.receive(timeout=60)
                    key = (c, msg["id"])
                    if msg["type"] == "next":
                        assert not msg["payload"].get("errors"), msg
                        self.streams[key].append(msg["payload"]["data"]["runUpdated"]["status"])
                    elif msg["type"] == "complete":
                        self.completed.add(key)
                    else:
                        raise AssertionError(msg)
        except (ConnectionClosed, OSError):
            return  # its replica was killed

    def all(self, check: Callable[[list[str]], bool]) -> bool:
        total = self.shape[0] * self.shape[1]
        return len(self.streams) == total and all(check(s) for s in self.streams.values())


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def monotone(stream: list[str]) -> bool:
    ranks = [ORDER.index(s) for s in stream]
    return ranks == sorted(set(ranks))


async def test_one_poller_across_two_processes_and_take_over_after_kill_9(
    redis_url: str,
) -> None:
    emulator = create_emulator(seed=23, scale="small", quotas=False)
    ho = emulator.healthomics
    plan = next(
        ho.run_plan(r["id"])
        for r in ho.all_runs()
        if r["status"] == "PENDING"
        and ho.run_plan(r["id"]).cancel_at is None
        and ho.run_plan(r["id"]).deleted_at is None
    )
    run = global_id("HealthOmicsRun", HO_SOURCE, plan.id)

    def advance_to(instant: Any) -> None:
        emulator.clock.advance((instant - emulator.clock.now()).total_seconds() + 1)

    with LoopbackServer(emulator.app) as upstream:
        settings = {
            "sources": [
                {
                    "name": HO_SOURCE,
                    "provider": "healthomics",
                    "region": "us-east-1",
                    "endpoint_url": upstream.url,
                }
            ],
            "cache": {"url": redis_url},
            "cursors": {"keys": [CURSOR_KEY]},
            "subscriptions": {"poll_interval_seconds": INTERVAL, "max_interval_seconds": INTERVAL},
            "limits": {"upstream_rates": {}, "queries_per_minute": 0, "cost_points_per_hour": 0},
            "observability": {"log_format": "text", "log_level": "WARNING", "metrics": False},
        }
        with replicas(settings, 2) as (a, b):
            groups = [Subscribers(a, run, 5, 10), Subscribers(b, run, 5, 10)]
            for group in groups:
                group.start()
            await until(lambda: all(g.all(lambda s: s == ["PENDING"]) for g in groups))

            # One poller in all: GetRun at the emulator comes at one process's rate.
            emulator.calls.clear()
            window = 2.0
            await asyncio.sleep(window)
            get_run = emulator.calls.counts().get("omics:GetRun", 0)
            assert 0 < get_run <= window / INTERVAL + 3, get_run
            lease = redis.Redis.from_url(redis_url)
            name = f"rgw:live:lease:HealthOmicsRun|{HO_SOURCE}|{plan.id}"
            owner = lease.get(name)
            assert owner is not None
            poller_pid = int(owner.decode().split("-")[0])
            poller, survivor = (a, b) if poller_pid == a.proc.pid else (b, a)
            assert poller_pid == poller.proc.pid
            dead, alive = groups if poller is a else groups[::-1]

            advance_to(plan.start - _seconds(STARTING_S))
            await until(lambda: all(g.all(lambda s: s[-1] == "STARTING") for g in groups))

            os.kill(poller.proc.pid, signal.SIGKILL)  # no clean-up, no lease release
            poller.proc.wait()
            advance_to(plan.start)
            await until(lambda: alive.all(lambda s: s[-1] == "RUNNING"))
            assert int(lease.get(name).decode().split("-")[0]) == survivor.proc.pid
            advance_to(plan.finish)
            await until(lambda: len(alive.completed) == 50)
            lease.close()

    for stream in alive.streams.values():
        assert stream[:3] == ["PENDING", "STARTING", "RUNNING"], stream
        assert stream[-1] in SETTLED and len(stream) == 4, stream
    for stream in dead.streams.values():
        assert monotone(stream) and stream[:2] == ["PENDING", "STARTING"], stream
    for group in groups:
        for task in group.tasks:
            task.cancel()


def _seconds(s: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=s)
