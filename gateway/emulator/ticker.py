"""A running clock for the demo: simulated time follows real time, `speed` times as fast.

Tests keep the emulator's clock frozen (listings stay stable while they page); the demo wants
runs to progress and subscriptions to fire by themselves, so this thread advances the same
`SimClock` by the real time elapsed × `speed` every `interval` seconds.
"""

from __future__ import annotations

import threading
import time

from gateway.emulator.clock import SimClock


class ClockTicker:
    """Advances `clock` in a daemon thread until `stop()` (also a context manager)."""

    def __init__(self, clock: SimClock, speed: float, interval: float = 0.5) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.clock = clock
        self.speed = speed
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="emulator-clock", daemon=True)

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self.interval):
            now = time.monotonic()
            self.clock.advance((now - last) * self.speed)
            last = now

    def start(self) -> ClockTicker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def __enter__(self) -> ClockTicker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
