"""The normalised states every cloud maps its upstream status values to, and the lookup.

Upstreams name the same ideas differently (COMPLETED, SUCCESS, PROCESSED…). Clients filter and
colour by the normalised state; the exact upstream value stays beside it. An unknown value maps
to UNKNOWN and is logged, never an error: clouds add values without notice.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from gateway.types import ProviderKind

log = logging.getLogger(__name__)
S = TypeVar("S", bound=enum.Enum)


class RunState(enum.Enum):
    QUEUED = "QUEUED"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    SUCCEEDED = "SUCCEEDED"
    PARTIALLY_SUCCEEDED = "PARTIALLY_SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    ABORTED = "ABORTED"
    TIMED_OUT = "TIMED_OUT"
    DELETED = "DELETED"
    UNKNOWN = "UNKNOWN"


class BatchState(enum.Enum):
    PENDING = "PENDING"
    SUBMITTING = "SUBMITTING"
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    PROCESSED = "PROCESSED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    DELETING = "DELETING"
    DELETE_FAILED = "DELETE_FAILED"
    DELETED = "DELETED"
    UNKNOWN = "UNKNOWN"


class TaskState(enum.Enum):
    QUEUED = "QUEUED"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"


SETTLED_RUN_STATES = frozenset(
    {
        RunState.SUCCEEDED,
        RunState.PARTIALLY_SUCCEEDED,
        RunState.FAILED,
        RunState.CANCELLED,
        RunState.ABORTED,
        RunState.TIMED_OUT,
        RunState.DELETED,
    }
)
SETTLED_BATCH_STATES = frozenset(
    {
        BatchState.PROCESSED,
        BatchState.SUCCEEDED,
        BatchState.FAILED,
        BatchState.CANCELLED,
        BatchState.DELETED,
        BatchState.DELETE_FAILED,
    }
)

SETTLED_TASK_STATES = frozenset({TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED})


def table(state: type[S], same: str = "", **renamed: str) -> dict[str, S]:
    """Upstream value → normalised state: `same` lists the values named like their state,
    `renamed` the others (`VALUE="STATE"`); a misspelt state fails at import."""
    found = {value: state[value] for value in same.split()}
    found.update({value: state[name] for value, name in renamed.items()})
    return found


_warned: set[tuple[str, str, str]] = set()


def _lookup(table: Mapping[str, S], unknown: S, kind: ProviderKind, what: str, value: str) -> S:
    found = table.get(value)
    if found is None:
        key = (kind.value, what, value)
        if key not in _warned:
            _warned.add(key)
            log.warning("unknown %s %s status %r mapped to UNKNOWN", kind.value, what, value)
        return unknown
    return found


@dataclass(frozen=True)
class StateTables:
    """One cloud's mapping of its upstream status values, per object kind.

    Each cloud keeps its tables in its own folder (`clouds/<cloud>/states.py`); an unknown
    value maps to UNKNOWN and is logged once, never an error.
    """

    kind: ProviderKind
    runs: Mapping[str, RunState]
    batches: Mapping[str, BatchState] = field(default_factory=dict)
    tasks: Mapping[str, TaskState] = field(default_factory=dict)

    def run_state(self, value: str | None) -> RunState | None:
        if value is None:
            return None
        return _lookup(self.runs, RunState.UNKNOWN, self.kind, "run", value)

    def batch_state(self, value: str | None) -> BatchState | None:
        if value is None:
            return None
        return _lookup(self.batches, BatchState.UNKNOWN, self.kind, "batch", value)

    def task_state(self, value: str | None) -> TaskState | None:
        if value is None:
            return None
        return _lookup(self.tasks, TaskState.UNKNOWN, self.kind, "task", value)

    def run_settled(self, value: str | None) -> bool:
        """A run in a settled state rarely changes: caches keep it long."""
        return self.run_state(value) in SETTLED_RUN_STATES

    def batch_settled(self, value: str | None) -> bool:
        return self.batch_state(value) in SETTLED_BATCH_STATES

    def task_settled(self, value: str | None) -> bool:
        return self.task_state(value) in SETTLED_TASK_STATES
