"""The shared hub on a real Redis: one poller per object across replicas, fan-out to every
replica's subscribers, take-over when the poller dies, monotone duplicate-free streams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from gateway.live.hub import Snapshot
from gateway.live.lease import Leases
from gateway.live.shared import SharedHub

ORDER = ["PENDING", "STARTING", "RUNNING", "DONE"]


class World:
    """The watched object's true state (advanced by the test) and every read of it per hub."""

    def __init__(self) -> None:
        self.state = "PENDING"
        self.fresh: dict[str, int] = {}
        self.cached: dict[str, int] = {}

    def probe(self, hub: str, fresh: bool) -> object:
        async def read() -> Snapshot[str]:
            counts = self.fresh if fresh else self.cached
            counts[hub] = counts.get(hub, 0) + 1
            return Snapshot(self.state, self.state, self.state == "DONE")

        return read


async def collect(it: AsyncIterator[str]) -> list[str]:
    return [v async for v in it]


def hub_on(url: str, name: str, interval: float = 0.05) -> SharedHub:
    return SharedHub(interval, interval, Leases(aioredis.Redis.from_url(url), "t:", name))


async def close(*hubs: SharedHub) -> None:
    for hub in hubs:
        await hub.aclose()
        await hub.leases.redis.aclose()


def monotone(stream: list[str]) -> bool:
    ranks = [ORDER.index(s) for s in stream]
    return ranks == sorted(set(ranks)) and stream[-1] == "DONE"


async def until(condition: object, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_one_poller_for_a_hundred_subscribers_on_two_replicas(redis_url: str) -> None:
    world = World()
    # A lease lives a pause plus half an interval: 0.4 s polls give a loaded event loop 200 ms
    # of room before the follower could take a lease that was never given up (100 ms was
    # overrun once on a 2-core machine running the suite beside two benchmarks).
    a, b = hub_on(redis_url, "a", 0.4), hub_on(redis_url, "b", 0.4)
    key = ("HealthOmicsRun", "aws", "r1")
    subs = [
        asyncio.create_task(
            collect(hub.watch(key, world.probe(name, True), world.probe(name, False)))  # type: ignore[arg-type]
        )
        for i in range(100)
        for name, hub in [("a" if i % 2 else "b", a if i % 2 else b)]
    ]
    await until(lambda: len(world.fresh) >= 1)
    for state in ORDER[1:]:
        await asyncio.sleep(1.2)
        world.state = state
    streams = await asyncio.wait_for(asyncio.gather(*subs), 10)
    assert len(world.fresh) == 1, f"one replica polled: {world.fresh}"
    assert all(monotone(s) for s in streams), streams
    assert all(s == ORDER for s in streams), "no state lasted less than a poll interval"
    follower = ({"a", "b"} - set(world.fresh)).pop()
    assert world.cached[follower] == len(ORDER), "the follower re-read each change once"
    assert a.pollers == b.pollers == 0
    await close(a, b)


async def test_a_dead_pollers_lease_passes_to_the_other_replica(redis_url: str) -> None:
    world = World()
    a, b = hub_on(redis_url, "a"), hub_on(redis_url, "b")
    key = ("HealthOmicsRun", "aws", "r2")
    on_a = [
        asyncio.create_task(collect(a.watch(key, world.probe("a", True), world.probe("a", False))))
        for _ in range(5)
    ]  # type: ignore[arg-type]
    await until(lambda: a.pollers == 1)
    on_b = [
        asyncio.create_task(collect(b.watch(key, world.probe("b", True), world.probe("b", False))))
        for _ in range(5)
    ]  # type: ignore[arg-type]
    await until(lambda: bool(b._by_name) and all(w.version >= 1 for w in b._by_name.values()))
    world.state = "STARTING"
    await until(lambda: all(w.version >= 2 for w in b._by_name.values()))

    # A dies without a word: its lease is not released, its subscribers are gone.
    async def no_release(name: str) -> None:
        return None

    a.leases.release = no_release  # type: ignore[method-assign]
    for task in on_a:
        task.cancel()
    await a.aclose()
    polls_before = world.fresh.get("b", 0)
    world.state = "RUNNING"
    await until(lambda: b.pollers == 1)  # B took the lapsed lease over
    await until(lambda: world.fresh.get("b", 0) > polls_before)
    world.state = "DONE"
    streams = await asyncio.wait_for(asyncio.gather(*on_b), 10)
    assert all(s == ORDER for s in streams), streams
    assert all(monotone(s) for s in streams)
    await close(a, b)


async def test_a_late_subscriber_on_another_replica_gets_the_current_state_without_a_poll(
    redis_url: str,
) -> None:
    world = World()
    a, b = hub_on(redis_url, "a", interval=0.05), hub_on(redis_url, "b", interval=0.05)
    key = ("HealthOmicsRun", "aws", "r3")
    first = a.watch(key, world.probe("a", True), world.probe("a", False))  # type: ignore[arg-type]
    assert await anext(first) == "PENDING"
    late = b.watch(key, world.probe("b", True), world.probe("b", False))  # type: ignore[arg-type]
    assert await anext(late) == "PENDING"
    assert "b" not in world.fresh and world.cached["b"] == 1
    world.state = "DONE"
    assert await collect(late) == ["DONE"]
    assert await collect(first) == ["DONE"]
    await close(a, b)


async def test_wake_makes_the_poller_read_now(redis_url: str) -> None:
    world = World()
    a, b = hub_on(redis_url, "a", interval=30.0), hub_on(redis_url, "b", interval=30.0)
    key = ("HealthOmicsRun", "aws", "r4")
    on_a = a.watch(key, world.probe("a", True), world.probe("a", False))  # type: ignore[arg-type]
    assert await anext(on_a) == "PENDING"
    world.state = "RUNNING"
    assert await b.wake(key)  # a push event arrived at the replica that does not poll
    assert await asyncio.wait_for(anext(on_a), 5) == "RUNNING"
    assert world.fresh == {"a": 2}
    await on_a.aclose()
    await close(a, b)
