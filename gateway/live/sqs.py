"""The EventBridge → SQS push consumer: status-change hints wake the subscribers of a run early.

It long-polls each queue (SQS's JSON protocol through the AWS wire the providers use, so a
queue is read with the credentials — profile, assumed role — of the source it serves, paced by
the `sqs:` rows of the pacing table and behind its own breaker), and for each envelope a
cloud's parser (`Cloud.events`) recognises whose account and region match a configured source
of that cloud: forgets that run's cached record, wakes the hub's watchers of the run and of its
batch (the batch id comes from the cached record: events carry none) and asks the catalogue to
refresh it. A hint is never data: the watchers read the run fresh, as a poll would. Fresh reads
caused by hints are rate-limited, so a forged or flooding queue costs at most that; hints for
unknown accounts change nothing. Messages are deleted only once handled (at-least-once:
duplicates and late arrivals only cause a read that finds nothing new); one that fails is
retried sooner through ChangeMessageVisibility. While receives succeed, polling of the sources
a queue serves slows to the safety-net interval; when they fail, it returns to normal.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.clouds.aws.wire import AwsWire
from gateway.config import EventsConfig, Settings, SourceConfig
from gateway.errors import GatewayError
from gateway.guards import SourceGuard
from gateway.live.events import CloudEvents, RunRefresher, StatusHint, watch_key
from gateway.live.hub import Hub
from gateway.ratelimit import RateLimiter
from gateway.types import ProviderKind

log = logging.getLogger(__name__)

#: A message whose handling failed is offered again after this long, not the full timeout.
RETRY_VISIBILITY_SECONDS = 5
#: Pause after a failed receive before the next one.
RECEIVE_BACKOFF_SECONDS = 2.0
#: The pacing table's rows for queue calls are `sqs:<Operation>`.
SQS = "sqs"
#: How queue calls are labelled in metrics and errors (a service, not one of the clouds).
QUEUE_KIND = ProviderKind("SQS", SQS)
_QUEUE_REGION = re.compile(r"^https://sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/")


@dataclass
class ConsumerStats:
    received: int = 0
    handled: int = 0
    unknown: int = 0
    limited: int = 0
    woken: int = 0
    deleted: int = 0
    failed: int = 0


class _Bucket:
    """Fresh reads per second caused by hints (a forged flood costs at most this)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass(frozen=True)
class QueueRead:
    """One queue, the source whose credentials read it, and the sources it pushes for."""

    url: str
    reader: SourceConfig
    serves: tuple[SourceConfig, ...]


def queue_wire(read: QueueRead, settings: Settings, limiter: RateLimiter | None = None) -> AwsWire:
    """The AWS wire of `read.reader` (its profile and role) pointed at SQS in the queue's
    region, paced as `sqs:<Operation>`, with a read timeout above the long poll's wait."""
    events = settings.events
    found = _QUEUE_REGION.match(read.url)
    region = events.region or (found.group(1) if found else read.reader.region)
    config = read.reader.model_copy(
        update={
            "provider": SQS,
            "region": region,
            "endpoint_url": events.endpoint_url or read.reader.endpoint_url,
        }
    )
    timeout = max(settings.limits.upstream_timeout_seconds, events.wait_seconds + 10.0)
    limits = settings.limits.model_copy(update={"upstream_timeout_seconds": timeout})
    # Its own breaker (a failing queue does not open the source's) and gate (a long poll must
    # not hold one of the account's upstream slots); the account's shared rate limiter.
    guard = SourceGuard(config, limits, limiter, kind=QUEUE_KIND)
    return AwsWire(config, limits, SQS, asyncio.Semaphore(2), kind=QUEUE_KIND, guard=guard)


@dataclass
class EventConsumer:
    """One per process; any replica may receive a message, the shared hub wakes the poller."""

    settings: Settings
    upstream: Any
    hub: Hub
    clouds: Sequence[CloudEvents] = ()
    refresher: RunRefresher | None = None
    stats: ConsumerStats = field(default_factory=ConsumerStats)

    def __post_init__(self) -> None:
        self.config: EventsConfig = self.settings.events
        self._bucket = _Bucket(self.config.max_reads_per_second)
        self._events = {c.kind.value: c for c in self.clouds}
        self._sources = [s for s in self.settings.sources if s.provider in self._events]

    @property
    def enabled(self) -> bool:
        return bool(self.queues())

    def queues(self) -> list[QueueRead]:
        """Each source's own queue, read with its credentials; the shared queue, read with
        `[events] source`'s (default: the first pushed source), for the sources without one."""
        reads = [
            QueueRead(s.events_queue_url, s, (s,)) for s in self._sources if s.events_queue_url
        ]
        shared = [s for s in self._sources if not s.events_queue_url]
        url = self.config.sqs_queue_url
        if url and self._sources:
            named = self.config.source
            reader = next((s for s in self._sources if s.name == named), self._sources[0])
            reads.append(QueueRead(url, reader, tuple(shared)))
        return reads

    def source_for(self, hint: StatusHint, kind: str) -> SourceConfig | None:
        """The configured source of `kind` the event's account and region name, if any."""
        return next(
            (
                s
                for s in self._sources
                if s.provider == kind and s.account == hint.account and s.region == hint.region
            ),
            None,
        )

    def _parse(self, body: str) -> tuple[StatusHint, CloudEvents, SourceConfig] | None:
        for events in self.clouds:
            hint = events.parse(body)
            if hint is not None:
                source = self.source_for(hint, events.kind.value)
                return None if source is None else (hint, events, source)
        return None

    async def handle(self, body: str) -> None:
        """One message: a hint routed to the run's watchers, or (not ours) nothing at all."""
        found = self._parse(body)
        if found is None:
            self.stats.unknown += 1
            log.info("event ignored: not a status change of a configured source")
            return
        hint, events, source = found
        # Forgetting cached records costs no upstream call; a wake costs one fresh read where
        # someone watches the run or its batch: those are the reads a forged flood could cause.
        cached = await self.upstream.cached(source.name, events.run_read, hint.run_id)
        await self.upstream.forget(source.name, events.run_read, hint.run_id)
        keys: list[Hashable] = [watch_key(events.run_type, source.name, hint.run_id)]
        batch = cached.get(events.batch_field) if isinstance(cached, dict) else None
        if isinstance(batch, str) and batch:
            await self.upstream.forget(source.name, events.batch_read, batch)
            keys.append(watch_key(events.batch_type, source.name, batch))
        for key in keys:
            if not await self.hub.watched(key):
                continue
            if not self._bucket.take():
                self.stats.limited += 1
                log.info("event for %r rate-limited: the safety-net poll will see it", key)
                continue
            if await self.hub.wake(key):
                self.stats.woken += 1
        if self.refresher is not None:
            await self.refresher.refresh_run(source.name, hint.run_id, hint.status)
        self.stats.handled += 1

    async def run(self) -> None:
        """Every queue read side by side, forever (cancelled at shutdown)."""
        limiter = getattr(self.upstream, "limiter", None)
        await asyncio.gather(
            *(self.read(q, queue_wire(q, self.settings, limiter)) for q in self.queues())
        )

    async def read(self, queue: QueueRead, wire: AwsWire) -> None:
        """Receive, handle, delete; forever."""
        cfg = self.config
        try:
            while True:
                try:
                    answer = await wire.call(
                        "ReceiveMessage",
                        lambda c: c.receive_message(
                            QueueUrl=queue.url,
                            MaxNumberOfMessages=10,
                            WaitTimeSeconds=cfg.wait_seconds,
                            VisibilityTimeout=cfg.visibility_timeout_seconds,
                        ),
                    )
                except GatewayError as exc:
                    self._pushing(queue, False)
                    log.warning("events: ReceiveMessage failed (%s); polling as usual", exc)
                    await asyncio.sleep(RECEIVE_BACKOFF_SECONDS)
                    continue
                self._pushing(queue, True)
                await self._process(wire, queue.url, answer.get("Messages") or [])
        finally:
            await wire.aclose()

    async def _process(self, wire: AwsWire, url: str, messages: list[dict[str, Any]]) -> None:
        done: list[dict[str, str]] = []
        for i, message in enumerate(messages):
            self.stats.received += 1
            try:
                await self.handle(str(message.get("Body", "")))
            except Exception:
                self.stats.failed += 1
                log.exception("events: handling a message failed; it will be offered again")
                await self._retry_soon(wire, url, message)
                continue
            done.append({"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]})
        if not done:
            return
        try:
            answer = await wire.call(
                "DeleteMessageBatch", lambda c: c.delete_message_batch(QueueUrl=url, Entries=done)
            )
        except GatewayError as exc:
            log.warning("events: DeleteMessageBatch failed (%s); messages come again", exc)
            return
        failed = answer.get("Failed") or []
        for entry in failed:  # a 200 may still carry per-entry failures
            log.warning("events: could not delete message %s: %s", entry.get("Id"), entry)
        self.stats.deleted += len(done) - len(failed)

    async def _retry_soon(self, wire: AwsWire, url: str, message: dict[str, Any]) -> None:
        try:
            await wire.call(
                "ChangeMessageVisibility",
                lambda c: c.change_message_visibility(
                    QueueUrl=url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=RETRY_VISIBILITY_SECONDS,
                ),
            )
        except GatewayError as exc:
            log.warning("events: ChangeMessageVisibility failed (%s)", exc)

    def _pushing(self, queue: QueueRead, healthy: bool) -> None:
        """Slow the pushed sources' polls to the safety net while events flow."""
        for source in queue.serves:
            if healthy:
                self.hub.pushed[source.name] = self.config.safety_poll_interval_seconds
            else:
                self.hub.pushed.pop(source.name, None)
