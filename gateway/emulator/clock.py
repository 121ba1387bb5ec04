"""Simulated time: the emulator's clock stands still unless advanced, so listings stay stable."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

#: Told (before, after) each time simulated time moves: the EventBridge emitter diffs states.
Listener = Callable[[datetime, datetime], None]

#: The instant every dataset is generated relative to; fixed so a seed always gives the same data.
EPOCH = datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC)


class SimClock:
    """A clock that moves only when told to; runs progress as it advances."""

    def __init__(self, start: datetime = EPOCH) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move simulated time forward; going backward is refused (time only progresses)."""
        if seconds < 0:
            raise ValueError("simulated time only moves forward")
        with self._lock:
            before = self._now
            self._now += timedelta(seconds=seconds)
            after = self._now
        for listener in self._listeners:
            listener(before, after)
        return after
