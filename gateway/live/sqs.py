"""The EventBridge → SQS push consumer: status-change hints wake the subscribers of a run early.

It long-polls the queue (aiobotocore `sqs`, JSON protocol), and for each HealthOmics "Run/Task
Status Change" envelope whose account and region match a configured source: forgets that run's
cached record, wakes the hub's watchers of the run and of its batch (the batch id comes from
the cached record: events carry none) and asks the catalogue to refresh it. A hint is never
data: the watchers read the run fresh, as a poll would. Fresh reads caused by hints are
rate-limited, so a forged or flooding queue costs at most that; hints for unknown accounts
change nothing. The catalogue's refresh is told of every hint and paces its own reads.
Messages are deleted only once handled (at-least-once: duplicates and late arrivals only
cause a read that finds nothing new); one that fails is retried sooner through
ChangeMessageVisibility. While receives succeed, polling of the pushed sources slows to the
safety-net interval; when they fail, it returns to normal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gateway.clouds.healthomics.states import KIND as HEALTHOMICS
from gateway.config import EventsConfig, Settings, SourceConfig
from gateway.live.events import RunRefresher, StatusHint, parse_envelope, watch_key
from gateway.live.hub import Hub

log = logging.getLogger(__name__)

#: The hub keys' type names for HealthOmics runs and batches (their GraphQL type names).
RUN_TYPE = "HealthOmicsRun"
BATCH_TYPE = "HealthOmicsBatch"
#: A message whose handling failed is offered again after this long, not the full timeout.
RETRY_VISIBILITY_SECONDS = 5
#: Pause after a failed receive before the next one.
RECEIVE_BACKOFF_SECONDS = 2.0


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


@dataclass
class EventConsumer:
    """One per process; any replica may receive a message, the shared hub wakes the poller."""

    settings: Settings
    upstream: Any
    hub: Hub
    refresher: RunRefresher | None = None
    stats: ConsumerStats = field(default_factory=ConsumerStats)

    def __post_init__(self) -> None:
        self.config: EventsConfig = self.settings.events
        self._bucket = _Bucket(self.config.max_reads_per_second)
        self._sources = [s for s in self.settings.sources if s.provider == HEALTHOMICS.value]

    def source_for(self, hint: StatusHint) -> SourceConfig | None:
        """The configured source the event's account and region name, if any."""
        return next(
            (s for s in self._sources if s.account == hint.account and s.region == hint.region),
            None,
        )

    async def handle(self, body: str) -> None:
        """One message: a hint routed to the run's watchers, or (not ours) nothing at all."""
        hint = parse_envelope(body)
        source = self.source_for(hint) if hint is not None else None
        if hint is None or source is None:
            self.stats.unknown += 1
            log.info("event ignored: not a HealthOmics status change of a configured source")
            return
        # Forgetting cached records costs no upstream call; a wake costs one fresh read where
        # someone watches the run or its batch: those are the reads a forged flood could cause.
        cached = await self.upstream.cached(source.name, "GetRun", hint.run_id)
        await self.upstream.forget(source.name, "GetRun", hint.run_id)
        keys: list[Hashable] = [watch_key(RUN_TYPE, source.name, hint.run_id)]
        batch = cached.get("batchId") if isinstance(cached, dict) else None
        if isinstance(batch, str) and batch:
            await self.upstream.forget(source.name, "GetBatch", batch)
            keys.append(watch_key(BATCH_TYPE, source.name, batch))
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

    def client_args(self) -> dict[str, Any]:
        region = self.config.region or (self._sources[0].region if self._sources else None)
        return {
            "region_name": region,
            "endpoint_url": self.config.endpoint_url,
            "config": Config(retries={"mode": "standard"}),
        }

    async def run(self) -> None:
        """Receive, handle, delete; forever (cancelled at shutdown)."""
        url = self.config.sqs_queue_url
        assert url is not None
        async with get_session().create_client("sqs", **self.client_args()) as client:
            while True:
                try:
                    answer = await client.receive_message(
                        QueueUrl=url,
                        MaxNumberOfMessages=10,
                        WaitTimeSeconds=self.config.wait_seconds,
                        VisibilityTimeout=self.config.visibility_timeout_seconds,
                    )
                except (BotoCoreError, ClientError) as exc:
                    self._pushing(False)
                    log.warning("events: ReceiveMessage failed (%s); polling as usual", exc)
                    await asyncio.sleep(RECEIVE_BACKOFF_SECONDS)
                    continue
                self._pushing(True)
                await self._process(client, url, answer.get("Messages") or [])

    async def _process(self, client: Any, url: str, messages: list[dict[str, Any]]) -> None:
        done: list[dict[str, str]] = []
        for i, message in enumerate(messages):
            self.stats.received += 1
            try:
                await self.handle(str(message.get("Body", "")))
            except Exception:
                self.stats.failed += 1
                log.exception("events: handling a message failed; it will be offered again")
                await self._retry_soon(client, url, message)
                continue
            done.append({"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]})
        if not done:
            return
        try:
            answer = await client.delete_message_batch(QueueUrl=url, Entries=done)
        except (BotoCoreError, ClientError) as exc:
            log.warning("events: DeleteMessageBatch failed (%s); messages come again", exc)
            return
        failed = answer.get("Failed") or []
        for entry in failed:  # a 200 may still carry per-entry failures
            log.warning("events: could not delete message %s: %s", entry.get("Id"), entry)
        self.stats.deleted += len(done) - len(failed)

    async def _retry_soon(self, client: Any, url: str, message: dict[str, Any]) -> None:
        try:
            await client.change_message_visibility(
                QueueUrl=url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=RETRY_VISIBILITY_SECONDS,
            )
        except (BotoCoreError, ClientError) as exc:
            log.warning("events: ChangeMessageVisibility failed (%s)", exc)

    def _pushing(self, healthy: bool) -> None:
        """Slow the pushed sources' polls to the safety net while events flow."""
        for source in self._sources:
            if healthy:
                self.hub.pushed[source.name] = self.config.safety_poll_interval_seconds
            else:
                self.hub.pushed.pop(source.name, None)
