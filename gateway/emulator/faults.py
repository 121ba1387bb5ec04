"""Faults injected per operation: latency, quotas, throttling, 5xx, hangs and hostile paging.

Clients must survive what real clouds do on a bad day; the emulator does those things on demand,
deterministically from its seed, so tests can replay them.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Hashable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from gateway.emulator.tokens import TokenState

Outcome = Literal["ok", "throttle", "error"]
#: Malformed 200 answers (`answer` fault): a body that is not JSON, JSON cut short, records
#: without their identity field, identity fields of the wrong type.
ANSWER_FAULTS = ("", "unparsable", "truncated", "missing_id", "wrong_type")
#: Every cloud's identity fields, as the emulator's answers name them.
IDENTITY_FIELDS = frozenset(
    {"id", "taskId", "runId", "runSettingId", "RunUuid", "RunGroupId", "CallName"}
)

#: Documented quotas the emulator enforces by default (Tencent: 20 requests/s per action).
DEFAULT_QUOTAS: dict[tuple[str, str], float] = {("tencent", "*"): 20.0}
#: HealthOmics' documented 10 requests/s, switched on by the `aws-quotas` preset.
AWS_QUOTA_PRESET: dict[tuple[str, str], float] = {
    ("omics", "GetRun"): 10.0,
    ("omics", "ListRuns"): 10.0,
    ("omics", "ListRunTasks"): 10.0,
}


@dataclass(frozen=True)
class OperationFaults:
    """What one operation suffers; every field off by default."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    hang: bool = False
    quota_rps: float | None = None
    short_pages: bool = False
    empty_pages: bool = False
    token_on_last_page: bool = False
    #: EventBridge delivery (service `events`): lose, repeat or shuffle status-change events.
    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    reorder: bool = False
    #: One of ANSWER_FAULTS: how a successful answer is spoiled ("" = not at all).
    answer: str = ""

    def __post_init__(self) -> None:
        if self.answer not in ANSWER_FAULTS:
            raise ValueError(f"unknown answer fault {self.answer!r}: one of {ANSWER_FAULTS[1:]}")


FAULT_FIELDS = frozenset(f.name for f in fields(OperationFaults))


class _Bucket:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Faults:
    """Fault settings keyed by (service, operation); operation `*` applies to a whole service.

    Services are named as the emulator routes them: `omics`, `datazone`, `tencent`.
    """

    def __init__(self, seed: int = 0, quotas: bool = True) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._settings: dict[tuple[str, str], OperationFaults] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._seen: set[Hashable] = set()
        if quotas:
            for key, rps in DEFAULT_QUOTAS.items():
                self._settings[key] = OperationFaults(quota_rps=rps)

    def configure(self, service: str, operation: str = "*", **changes: Any) -> OperationFaults:
        """Change some fields of one (service, operation) setting; unknown fields are refused."""
        unknown = set(changes) - FAULT_FIELDS
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        with self._lock:
            current = self._settings.get((service, operation), OperationFaults())
            updated = replace(current, **changes)
            self._settings[(service, operation)] = updated
            self._buckets.pop((service, operation), None)
            self._seen.clear()
            return updated

    def apply_preset(self, name: str) -> None:
        """`aws-quotas` turns on HealthOmics' documented 10/s; `no-quotas` lifts every quota."""
        if name == "aws-quotas":
            for (service, op), rps in AWS_QUOTA_PRESET.items():
                self.configure(service, op, quota_rps=rps)
        elif name == "no-quotas":
            with self._lock:
                keys = list(self._settings)
            for service, op in keys:
                self.configure(service, op, quota_rps=None)
        else:
            raise ValueError(f"unknown preset {name!r}")

    def apply_config(self, config: Mapping[str, Any]) -> None:
        """Faults from a file (`gateway emulator --faults F`), the same as the control API:
        `presets = ["aws-quotas"]` and `[[operations]]` tables of `service`, `operation` and
        fault fields. Unknown keys are refused, naming them."""
        unknown = set(config) - {"presets", "operations"}
        if unknown:
            raise ValueError(f"unknown fault config keys: {sorted(unknown)}")
        for name in config.get("presets", []):
            self.apply_preset(str(name))
        for entry in config.get("operations", []):
            fields = dict(entry)
            service = str(fields.pop("service"))
            operation = str(fields.pop("operation", "*"))
            self.configure(service, operation, **fields)

    def reset(self, quotas: bool = True) -> None:
        with self._lock:
            self._settings.clear()
            self._buckets.clear()
            self._seen.clear()
            if quotas:
                for key, rps in DEFAULT_QUOTAS.items():
                    self._settings[key] = OperationFaults(quota_rps=rps)

    def first_time(self, key: Hashable) -> bool:
        """True the first time `key` is met since faults were last set: hostile paging that
        must happen once per page (an empty page, then the real one) starts afresh each time."""
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {f"{s}:{o}": asdict(v) for (s, o), v in self._settings.items()}

    def effective(self, service: str, operation: str) -> OperationFaults:
        """The operation's own setting laid over its service-wide one."""
        with self._lock:
            base = self._settings.get((service, "*"), OperationFaults())
            own = self._settings.get((service, operation))
        if own is None:
            return base
        merged = {
            name: getattr(own, name)
            if getattr(own, name) != getattr(OperationFaults(), name)
            else getattr(base, name)
            for name in FAULT_FIELDS
        }
        return OperationFaults(**merged)

    def _bucket_for(self, service: str, operation: str, rps: float) -> _Bucket:
        # Quotas are per action: a service-wide quota still gives each operation its own bucket.
        key = (service, operation)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or bucket.rate != rps:
                bucket = self._buckets[key] = _Bucket(rps)
            return bucket

    async def gate(self, service: str, operation: str) -> Outcome:
        """Apply latency/hang, then decide whether this call is throttled, fails, or proceeds."""
        f = self.effective(service, operation)
        if f.hang:
            await asyncio.Event().wait()  # never set: the client's timeout ends it
        delay = f.latency_ms + (self._rng.random() * f.jitter_ms if f.jitter_ms else 0.0)
        if delay:
            await asyncio.sleep(delay / 1000.0)
        if f.quota_rps is not None and not self._bucket_for(service, operation, f.quota_rps).take():
            return "throttle"
        with self._lock:
            roll_throttle = self._rng.random()
            roll_error = self._rng.random()
        if roll_throttle < f.throttle_rate:
            return "throttle"
        if roll_error < f.error_rate:
            return "error"
        return "ok"


def _without_identity(value: Any, replace_with: Any) -> Any:
    """`value` with every identity field dropped (`replace_with` is None) or replaced."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in IDENTITY_FIELDS and not isinstance(v, dict | list):
                if replace_with is not None:
                    out[k] = replace_with
            else:
                out[k] = _without_identity(v, replace_with)
        return out
    if isinstance(value, list):
        return [_without_identity(v, replace_with) for v in value]
    return value


def spoil(body: bytes, how: str) -> bytes:
    """A successful answer's JSON body as a misbehaving cloud (or a proxy before it) sends it."""
    if how == "unparsable":
        return b"<html><body>502 Bad Gateway (proxy)</body></html>"
    if how == "truncated":
        return body[: max(1, len(body) // 2)]
    decoded = json.loads(body)
    if how == "missing_id":
        return json.dumps(_without_identity(decoded, None)).encode()
    if how == "wrong_type":
        return json.dumps(_without_identity(decoded, 4242)).encode()
    return body


def _mix(offset: int, salt: int) -> int:
    return ((offset + 1) * 2654435761 + salt * 40503) % 1000003


def page_window(
    total: int, state: TokenState, limit: int, f: OperationFaults
) -> tuple[int, int, TokenState | None]:
    """The slice [start, end) a token-paged listing returns, and the state its next token holds.

    Hostile paging stays deterministic for a given token, and every item is still served exactly
    once: empty pages keep the offset (advancing the stage), short pages just stop early.
    """
    offset = state.offset
    if f.empty_pages and state.stage == 0 and offset < total and _mix(offset, 1) % 2 == 0:
        return offset, offset, TokenState(offset, 1)
    size = limit
    if f.short_pages and limit > 1:
        size = 1 + _mix(offset, 2) % (limit - 1)
    end = min(total, offset + size)
    if end < total:
        return offset, end, TokenState(end, 0)
    if f.token_on_last_page and state.stage < 2 and end > offset:
        return offset, end, TokenState(end, 2)
    return offset, end, None
