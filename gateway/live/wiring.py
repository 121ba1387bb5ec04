"""Which hub an app gets: one poller per process alone, one across replicas with Redis."""

from __future__ import annotations

import os
import uuid
from typing import Any

from gateway.config import Settings
from gateway.live.hub import Hub
from gateway.live.lease import Leases
from gateway.live.shared import SharedHub


def make_hub(settings: Settings, redis: Any = None) -> Hub:
    """A `SharedHub` over `redis` when `[cache] url` is set, else a process-local `Hub`."""
    live = settings.subscriptions
    if redis is None:
        return Hub(live.poll_interval_seconds, live.max_interval_seconds)
    owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"  # this process, as lease holder (pid: ops)
    leases = Leases(redis, settings.cache.key_prefix, owner)
    return SharedHub(live.poll_interval_seconds, live.max_interval_seconds, leases)
