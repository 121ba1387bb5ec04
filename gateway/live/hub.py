"""One poller per watched object, fanned out to every subscriber of it.

Upstreams push nothing, so live status means polling on the clients' behalf; the hub keeps
that cost independent of the number of subscribers. A watch starts with its first subscriber,
polls at the configured interval, doubles the interval while nothing changes (up to a maximum),
and stops when the object settles or the last subscriber leaves. Knows no GraphQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from gateway.errors import ErrorCode, GatewayError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Failures that may pass by themselves: keep polling (backing off) rather than end the watch.
TRANSIENT = frozenset(
    {ErrorCode.THROTTLED, ErrorCode.UPSTREAM_UNAVAILABLE, ErrorCode.UPSTREAM_TIMEOUT}
)


@dataclass(frozen=True)
class Snapshot(Generic[T]):
    """One poll's outcome: what to deliver, what identifies a change, and whether it is final."""

    value: T
    fingerprint: Hashable
    settled: bool


Probe = Callable[[], Awaitable[Snapshot[T]]]


class End:
    """Queued after the last value: the watch is over (settled or failed)."""


END = End()


@dataclass
class Watch(Generic[T]):
    key: Hashable
    subscribers: set[asyncio.Queue[Snapshot[T] | BaseException | End]] = field(default_factory=set)
    latest: Snapshot[T] | None = None
    polls: int = 0
    task: asyncio.Task[None] | None = None
    #: Set by `Hub.wake` (a push event): the poller reads now instead of finishing its pause.
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def broadcast(self, item: Snapshot[T] | BaseException | End) -> None:
        for queue in self.subscribers:
            queue.put_nowait(item)


@dataclass(frozen=True)
class WatchStats:
    """What a watch has cost so far, for tests and operators."""

    subscribers: int
    polls: int


class Hub:
    """Process-wide registry of watches keyed by the watched object."""

    def __init__(
        self,
        interval: float,
        max_interval: float,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.max_interval = max(interval, max_interval)
        self._sleep = sleep
        self._watches: dict[Hashable, Watch[Any]] = {}
        #: Polls made by every watch so far: each is one upstream read of the watched object.
        self.polls = 0
        #: Sources whose changes are pushed (EventBridge → SQS) → the safety-net interval their
        #: objects are polled at meanwhile (keys are (type, source, id) tuples).
        self.pushed: dict[str, float] = {}

    def interval_for(self, key: Hashable) -> tuple[float, float]:
        """(first, max) poll interval of `key`: the safety net while its source pushes."""
        source = key[1] if isinstance(key, tuple) and len(key) > 1 else None
        slow = self.pushed.get(source) if isinstance(source, str) else None
        if slow is None:
            return self.interval, self.max_interval
        return max(self.interval, slow), max(self.max_interval, slow)

    @property
    def pollers(self) -> int:
        """Running pollers: one per watched object, whatever the number of subscribers."""
        return sum(1 for w in self._watches.values() if w.task is not None and not w.task.done())

    async def watched(self, key: Hashable) -> bool:
        """Whether anyone watches `key` (here; the shared hub asks every replica's leases)."""
        return key in self._watches

    async def wake(self, key: Hashable) -> bool:
        """Poll `key` now (a push event says it changed); False when nobody watches it here."""
        watch = self._watches.get(key)
        if watch is None:
            return False
        watch.wake.set()
        return True

    async def pause(self, wake: asyncio.Event, delay: float) -> None:
        """Wait `delay` (by the injected sleep), or less if woken; the wake is consumed."""
        if not wake.is_set():
            sleeper = asyncio.ensure_future(self._sleep(delay))
            waker = asyncio.ensure_future(wake.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (sleeper, waker):
                    task.cancel()
        wake.clear()

    def stats(self, key: Hashable) -> WatchStats | None:
        watch = self._watches.get(key)
        return None if watch is None else WatchStats(len(watch.subscribers), watch.polls)

    async def watch(
        self, key: Hashable, probe: Probe[T], reread: Probe[T] | None = None
    ) -> AsyncIterator[T]:
        """Values of `key` as they change; a late subscriber first gets the current one.

        Ends when the object settles (after delivering its settled value); a non-transient
        failure is raised to every subscriber. `probe` reads the object fresh; `reread` (used
        by the shared hub on replicas that do not poll) reads it through the shared cache.
        """
        watch: Watch[T] | None = self._watches.get(key)
        if watch is None:
            watch = self._start(key, probe, reread or probe)
            self._watches[key] = watch
        queue: asyncio.Queue[Snapshot[T] | BaseException | End] = asyncio.Queue()
        if watch.latest is not None:
            queue.put_nowait(watch.latest)
        watch.subscribers.add(queue)
        try:
            while True:
                item = await queue.get()
                if isinstance(item, End):
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item.value
        finally:
            watch.subscribers.discard(queue)
            if not watch.subscribers:
                self._drop(watch)

    def _start(self, key: Hashable, probe: Probe[T], reread: Probe[T]) -> Watch[T]:
        """A new watch and its poller (the shared hub elects one poller across replicas)."""
        watch: Watch[T] = Watch(key)
        watch.task = asyncio.create_task(self._poll(watch, probe), name=f"watch:{key!r}")
        return watch

    def _drop(self, watch: Watch[Any]) -> None:
        if self._watches.get(watch.key) is watch:
            del self._watches[watch.key]
        if watch.task is not None and watch.task is not asyncio.current_task():
            watch.task.cancel()

    async def _poll(self, watch: Watch[T], probe: Probe[T]) -> None:
        delay, _ = self.interval_for(watch.key)
        try:
            while True:
                watch.polls += 1
                self.polls += 1
                try:
                    snap = await probe()
                except GatewayError as exc:
                    if exc.code not in TRANSIENT:
                        raise
                    log.info("watch %r: transient %s, backing off", watch.key, exc.code.value)
                    delay = min(delay * 2, self.interval_for(watch.key)[1])
                    await self.pause(watch.wake, delay)
                    continue
                if watch.latest is None or snap.fingerprint != watch.latest.fingerprint:
                    watch.latest = snap
                    watch.broadcast(snap)
                    delay = self.interval_for(watch.key)[0]
                else:
                    delay = min(delay * 2, self.interval_for(watch.key)[1])
                if snap.settled:
                    watch.broadcast(END)
                    return
                await self.pause(watch.wake, delay)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # delivered to every subscriber, who re-raises it
            watch.broadcast(exc)
            watch.broadcast(END)
        finally:
            if self._watches.get(watch.key) is watch:
                del self._watches[watch.key]

    async def aclose(self) -> None:
        """Stop every poller (app shutdown); subscribers still waiting are told the watch ended."""
        watches = list(self._watches.values())
        self._watches.clear()
        for watch in watches:
            if watch.task is not None:
                watch.task.cancel()
            watch.broadcast(END)
        await asyncio.gather(
            *(w.task for w in watches if w.task is not None), return_exceptions=True
        )
