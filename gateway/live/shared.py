"""The hub across replicas: one poller per watched object, events fanned out by Redis pub/sub.

Every replica with a subscriber of an object runs one small loop for it. The loop that holds
the object's lease (see `lease.py`) polls upstream (a fresh read, which also refills the shared
cache) and publishes each change with the object's next version; the others wait for those
events and re-read the object through the shared cache, so a follower replica costs no upstream
call. A dead poller's lease lapses within its pause plus half an interval, and a follower that
tries every half interval takes over (within two poll intervals when nothing backs off).

Each subscriber's stream is monotone and duplicate-free across hand-overs: a replica delivers a
state only with a version above the last it delivered and a fingerprint unlike the last one; the
settled state ends every stream. When Redis fails, a replica polls for itself (as a lone
process would) rather than stall its subscribers, and says so in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from redis.exceptions import RedisError

from gateway.errors import GatewayError
from gateway.live.hub import END, TRANSIENT, Hub, Probe, Snapshot, Watch
from gateway.live.lease import Leases, Version

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How long the last published state of an object is kept for late subscribers.
STATE_SECONDS = 3_600.0


def watch_name(key: Hashable) -> str:
    """A key's name in Redis: its parts joined, so every replica names it alike."""
    parts = key if isinstance(key, tuple) else (key,)
    return "|".join(str(p) for p in parts)


def digest(fingerprint: Hashable) -> str:
    """A fingerprint every replica computes alike (enum and tuple reprs are stable)."""
    return hashlib.sha256(repr(fingerprint).encode()).hexdigest()[:24]


@dataclass(eq=False)
class SharedWatch(Watch[T]):
    name: str = ""
    version: int = 0
    fingerprint: str = ""
    polling: bool = False
    ended: bool = False
    incoming: asyncio.Queue[Version] = field(default_factory=asyncio.Queue)


class SharedHub(Hub):
    """`Hub` whose pollers are elected across replicas through `leases`."""

    def __init__(
        self,
        interval: float,
        max_interval: float,
        leases: Leases,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        super().__init__(interval, max_interval, sleep=sleep)
        self.leases = leases
        self._by_name: dict[str, SharedWatch[Any]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._degraded_since: float | None = None

    @property
    def pollers(self) -> int:
        """Objects this replica polls: it holds their leases."""
        return len(self.polling)

    @property
    def polling(self) -> list[Hashable]:
        """Keys this replica currently polls (holds the lease of)."""
        return [w.key for w in self._by_name.values() if w.polling and not w.ended]

    def _start(self, key: Hashable, probe: Probe[T], reread: Probe[T]) -> Watch[T]:
        watch: SharedWatch[T] = SharedWatch(key, name=watch_name(key))
        self._by_name[watch.name] = watch
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name="live:listener")
        watch.task = asyncio.create_task(self._run(watch, probe, reread), name=f"shared:{key!r}")
        return watch

    async def watched(self, key: Hashable) -> bool:
        """Some replica polls `key` (its lease is held), or this one watches it."""
        if key in self._watches:
            return True
        try:
            return bool(await self.leases.redis.exists(self.leases.lease_key(watch_name(key))))
        except (RedisError, OSError):
            return False

    async def wake(self, key: Hashable) -> bool:
        """Ask whichever replica polls `key` to poll it now (this one included)."""
        try:
            await self.leases.ask_wake(watch_name(key))
        except (RedisError, OSError):
            return await super().wake(key)
        return True

    async def _run(self, w: SharedWatch[T], probe: Probe[T], reread: Probe[T]) -> None:
        try:
            await self._listening.wait()  # no event published from here on can be missed
            current = await self._redis(self.leases.current(w.name), None)
            if current is not None:
                await self._follow(w, current, probe, reread)
            delay = self.interval_for(w.key)[0]
            while not w.ended:
                first, _ = self.interval_for(w.key)
                if await self._redis(self.leases.hold(w.name, delay + first / 2), True):
                    w.polling = True
                    delay = await self._poll_once(w, probe, delay)
                    if w.ended:
                        break
                    await self._idle(w, delay, probe, reread)
                else:
                    w.polling = False
                    delay = first
                    await self._idle(w, first / 2, probe, reread)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # delivered to every subscriber, who re-raises it
            w.broadcast(exc)
            w.broadcast(END)
        finally:
            if w.polling:
                with contextlib.suppress(RedisError, OSError):
                    await asyncio.shield(self.leases.release(w.name))
            if self._by_name.get(w.name) is w:
                del self._by_name[w.name]
            if self._watches.get(w.key) is w:
                del self._watches[w.key]

    async def _poll_once(self, w: SharedWatch[T], probe: Probe[T], delay: float) -> float:
        """One poll as the lease holder; the next pause (doubled while nothing changes)."""
        first, most = self.interval_for(w.key)
        w.polls += 1
        self.polls += 1
        try:
            snap = await probe()
        except GatewayError as exc:
            if exc.code not in TRANSIENT:
                raise
            log.info("watch %s: transient %s, backing off", w.name, exc.code.value)
            return min(delay * 2, most)
        fp = digest(snap.fingerprint)
        published = self.leases.publish(w.name, fp, snap.settled, STATE_SECONDS)
        version, changed = await self._redis(published, (w.version + 1, fp != w.fingerprint))
        if version < 0:  # the lease lapsed while we read: the new holder publishes instead
            w.polling = False
            return first
        self._deliver(w, snap, version, fp)
        return first if changed else min(delay * 2, most)

    async def _idle(
        self, w: SharedWatch[T], delay: float, probe: Probe[T], reread: Probe[T]
    ) -> None:
        """Pause up to `delay`, handling events published meanwhile; a wake cuts it short."""
        deadline = asyncio.get_running_loop().time() + delay
        while not w.ended:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or w.wake.is_set():
                break
            getter = asyncio.ensure_future(w.incoming.get())
            waker = asyncio.ensure_future(w.wake.wait())
            try:
                await asyncio.wait(
                    {getter, waker}, timeout=remaining, return_when="FIRST_COMPLETED"
                )
            finally:
                waker.cancel()
                if not getter.done():
                    getter.cancel()
            if getter.done() and not getter.cancelled():
                await self._follow(w, getter.result(), probe, reread)
        w.wake.clear()

    async def _follow(
        self, w: SharedWatch[T], event: Version, probe: Probe[T], reread: Probe[T]
    ) -> None:
        """Deliver another replica's published state, read through the shared cache."""
        if event.version <= w.version:
            return  # our own event, a duplicate, or one overtaken by a later state
        if event.fingerprint == w.fingerprint:
            w.version = event.version
        else:
            snap = await reread()
            if digest(snap.fingerprint) != event.fingerprint:
                # The shared cache lags the event (it expired or was overwritten): read fresh.
                w.polls += 1
                self.polls += 1
                snap = await probe()
            self._deliver(w, snap, event.version, digest(snap.fingerprint))
        if event.settled:
            self._finish(w)

    def _finish(self, w: SharedWatch[Any]) -> None:
        """The object settled: end every stream, and let a later subscriber start afresh."""
        if w.ended:
            return
        w.ended = True
        w.broadcast(END)
        if self._watches.get(w.key) is w:
            del self._watches[w.key]

    def _deliver(self, w: SharedWatch[T], snap: Snapshot[T], version: int, fp: str) -> None:
        if version < w.version:
            return
        w.version = version
        if fp != w.fingerprint:
            w.fingerprint = fp
            w.latest = snap
            w.broadcast(snap)
        if snap.settled:
            self._finish(w)

    async def _redis(self, call: Awaitable[Any], fallback: Any) -> Any:
        """A Redis step; when Redis fails, `fallback` (poll alone) and one log line per outage."""
        try:
            result = await call
        except (RedisError, OSError) as exc:
            if self._degraded_since is None:
                self._degraded_since = time.monotonic()
                log.warning("live: Redis unavailable (%s): each replica polls for itself", exc)
            return fallback
        if self._degraded_since is not None:
            log.warning("live: Redis is back: one poller per object again")
            self._degraded_since = None
        return result

    async def _listen(self) -> None:
        """One pub/sub connection per replica: every object's events, and wake requests."""
        while True:
            pubsub = self.leases.redis.pubsub()
            try:
                await pubsub.psubscribe(self.leases.pattern)
                await pubsub.subscribe(self.leases.wake_channel())
                self._listening.set()
                while True:
                    msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if msg is not None:
                        self._route(msg)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("live: pub/sub lost (%s); reconnecting", exc)
                self._listening.set()  # pollers fall back to polling alone meanwhile
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    def _route(self, msg: dict[str, Any]) -> None:
        channel = msg.get("channel")
        channel = channel.decode() if isinstance(channel, bytes) else str(channel)
        data = msg.get("data")
        if channel == self.leases.wake_channel():
            name = data.decode() if isinstance(data, bytes) else str(data)
            watch = self._by_name.get(name)
            if watch is not None and watch.polling:
                watch.wake.set()
            return
        event = self.leases.parse(data) if isinstance(data, (bytes, str)) else None
        if event is not None and (watch := self._by_name.get(event.name)) is not None:
            watch.incoming.put_nowait(event)

    async def aclose(self) -> None:
        await super().aclose()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
