"""A log of every upstream call the emulator answered, so tests count calls where they land."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Call:
    """One answered request: which service and operation, its HTTP status, when it was answered
    and when it arrived (monotonic s; quotas are about arrivals)."""

    service: str
    operation: str
    status: int
    at: float
    arrived: float | None = None


class CallLog:
    """Thread-safe record of calls and of every pagination token handed out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._tokens: list[str] = []

    def record(
        self, service: str, operation: str, status: int, arrived: float | None = None
    ) -> None:
        with self._lock:
            self._calls.append(Call(service, operation, status, time.monotonic(), arrived))

    def issued(self, token: str) -> str:
        """Remember a token the emulator handed out (a leak test searches for them); returns it."""
        with self._lock:
            self._tokens.append(token)
        return token

    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def tokens(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    def counts(self) -> dict[str, int]:
        """Calls by `service:Operation`."""
        with self._lock:
            return dict(Counter(f"{c.service}:{c.operation}" for c in self._calls))

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._tokens.clear()
