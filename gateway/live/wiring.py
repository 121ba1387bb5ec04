"""Which hub an app gets: one poller per process alone, one across replicas with Redis."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from typing import Any

from gateway.config import Settings
from gateway.live.hub import Hub
from gateway.live.lease import Leases
from gateway.live.shared import SharedHub
from gateway.live.sqs import EventConsumer


def make_hub(settings: Settings, redis: Any = None) -> Hub:
    """A `SharedHub` over `redis` when `[cache] url` is set, else a process-local `Hub`."""
    live = settings.subscriptions
    if redis is None:
        return Hub(live.poll_interval_seconds, live.max_interval_seconds)
    owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"  # this process, as lease holder (pid: ops)
    leases = Leases(redis, settings.cache.key_prefix, owner)
    return SharedHub(live.poll_interval_seconds, live.max_interval_seconds, leases)


def start_consumer(consumer: EventConsumer | None) -> asyncio.Task[None] | None:
    """The push consumer's task (None without `[events] sqs_queue_url`)."""
    if consumer is None:
        return None
    return asyncio.create_task(consumer.run(), name="events:sqs")


async def stop_consumer(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
