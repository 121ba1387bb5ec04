"""The hub alone: one poller per key, fan-out, backoff while unchanged, stop on last leave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from gateway.errors import ErrorCode, GatewayError
from gateway.live.hub import Hub, Snapshot


class Script:
    """A probe answering scripted states (the last repeats); counts its calls."""

    def __init__(self, *states: str, settled: str = "DONE") -> None:
        self.states = list(states)
        self.settled = settled
        self.calls = 0

    async def __call__(self) -> Snapshot[str]:
        state = self.states[min(self.calls, len(self.states) - 1)]
        self.calls += 1
        return Snapshot(state, state, state == self.settled)


class Sleeps:
    """Records every interval the poller asks for; lets the loop run instead of waiting."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(0)


async def collect(it: AsyncIterator[str]) -> list[str]:
    return [v async for v in it]


async def test_each_change_once_in_order_then_completion() -> None:
    hub = Hub(1.0, 8.0, sleep=Sleeps())
    probe = Script("A", "A", "B", "B", "B", "C", "DONE")
    assert await collect(hub.watch("k", probe)) == ["A", "B", "C", "DONE"]
    assert probe.calls == 7
    assert hub.pollers == 0


async def test_interval_doubles_while_unchanged_up_to_max_and_resets_on_change() -> None:
    sleeps = Sleeps()
    hub = Hub(1.0, 5.0, sleep=sleeps)
    probe = Script("A", "A", "A", "A", "A", "B", "B", "DONE")
    await collect(hub.watch("k", probe))
    assert sleeps.asked == [1.0, 2.0, 4.0, 5.0, 5.0, 1.0, 2.0]


async def test_many_subscribers_share_one_poller() -> None:
    gate = asyncio.Event()

    async def slow_sleep(seconds: float) -> None:
        await gate.wait()

    hub = Hub(1.0, 1.0, sleep=slow_sleep)
    probe = Script("A", "B", "DONE")
    subscribers = [asyncio.create_task(collect(hub.watch("k", probe))) for _ in range(100)]
    await asyncio.sleep(0.01)
    assert hub.pollers == 1
    stats = hub.stats("k")
    assert stats is not None and stats.subscribers == 100
    gate.set()
    results = await asyncio.gather(*subscribers)
    assert all(r == ["A", "B", "DONE"] for r in results)
    assert probe.calls == 3, "one probe per tick, whatever the number of subscribers"
    assert hub.pollers == 0


async def test_late_subscriber_starts_from_the_current_value() -> None:
    gate = asyncio.Event()

    async def held(seconds: float) -> None:
        await gate.wait()

    hub = Hub(1.0, 1.0, sleep=held)
    probe = Script("A", "B", "DONE")
    first = hub.watch("k", probe)
    assert await anext(first) == "A"
    late = asyncio.create_task(collect(hub.watch("k", probe)))
    await asyncio.sleep(0.01)
    gate.set()
    assert await collect(first) == ["B", "DONE"]
    assert await late == ["A", "B", "DONE"]
    assert probe.calls == 3


async def test_last_subscriber_leaving_stops_the_poller() -> None:
    hub = Hub(0.001, 0.001)
    probe = Script("A")  # never settles
    a, b = hub.watch("k", probe), hub.watch("k", probe)
    assert await anext(a) == "A"
    assert await anext(b) == "A"
    await a.aclose()
    assert hub.pollers == 1, "one subscriber is still there"
    await b.aclose()
    await asyncio.sleep(0.01)
    assert hub.pollers == 0
    calls = probe.calls
    await asyncio.sleep(0.02)
    assert probe.calls == calls, "no polling once nobody listens"


async def test_transient_errors_back_off_and_keep_watching() -> None:
    sleeps = Sleeps()
    hub = Hub(1.0, 4.0, sleep=sleeps)
    answers: list[Any] = [
        "A",
        GatewayError("slow down", ErrorCode.THROTTLED),
        GatewayError("down", ErrorCode.UPSTREAM_UNAVAILABLE),
        "DONE",
    ]

    async def probe() -> Snapshot[str]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return Snapshot(answer, answer, answer == "DONE")

    assert await collect(hub.watch("k", probe)) == ["A", "DONE"]
    assert sleeps.asked == [1.0, 2.0, 4.0]


async def test_a_lasting_error_reaches_every_subscriber() -> None:
    async def probe() -> Snapshot[str]:
        raise GatewayError("gone", ErrorCode.NOT_FOUND)

    hub = Hub(1.0, 1.0)
    results = await asyncio.gather(
        collect(hub.watch("k", probe)), collect(hub.watch("k", probe)), return_exceptions=True
    )
    assert all(isinstance(r, GatewayError) and r.code is ErrorCode.NOT_FOUND for r in results)
    assert hub.pollers == 0


async def test_aclose_ends_every_watch() -> None:
    hub = Hub(0.001, 0.001)
    watching = asyncio.create_task(collect(hub.watch("k", Script("A"))))
    await asyncio.sleep(0.01)
    assert hub.pollers == 1
    await hub.aclose()
    assert await asyncio.wait_for(watching, 1) == ["A"]
    assert hub.pollers == 0


def test_max_below_interval_is_raised_to_it() -> None:
    assert Hub(2.0, 1.0).max_interval == 2.0
