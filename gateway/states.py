"""One normalised state for every upstream status value, per provider and object kind.

Upstreams name the same ideas differently (COMPLETED, SUCCESS, PROCESSED…). Clients filter and
colour by the normalised state; the exact upstream value stays beside it. An unknown value maps
to UNKNOWN and is logged, never an error: clouds add values without notice.
"""

from __future__ import annotations

import enum
import logging
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


_HO = ProviderKind.HEALTHOMICS
_TC = ProviderKind.TENCENT_OMICS
_DZ = ProviderKind.DATAZONE

RUN_STATES: dict[ProviderKind, dict[str, RunState]] = {
    _HO: {
        "PENDING": RunState.QUEUED,
        "STARTING": RunState.STARTING,
        "RUNNING": RunState.RUNNING,
        "STOPPING": RunState.STOPPING,
        "COMPLETED": RunState.SUCCEEDED,
        "DELETED": RunState.DELETED,
        "CANCELLED": RunState.CANCELLED,
        "FAILED": RunState.FAILED,
    },
    _DZ: {
        "SCHEDULED": RunState.QUEUED,
        "IN_PROGRESS": RunState.RUNNING,
        "SUCCESS": RunState.SUCCEEDED,
        "PARTIALLY_SUCCEEDED": RunState.PARTIALLY_SUCCEEDED,
        "FAILED": RunState.FAILED,
        "ABORTED": RunState.ABORTED,
        "TIMED_OUT": RunState.TIMED_OUT,
        "CANCELED": RunState.CANCELLED,
    },
    _TC: {
        # The emulator's (and the documented example's) vocabulary: INIT → PENDING → RUNNING →
        # SUCCESS | FAILED | CANCELED; a run may be CANCELED while still pending.
        "INIT": RunState.QUEUED,
        "PENDING": RunState.QUEUED,
        "RUNNING": RunState.RUNNING,
        "SUCCESS": RunState.SUCCEEDED,
        "FAILED": RunState.FAILED,
        "CANCELED": RunState.CANCELLED,
    },
}

BATCH_STATES: dict[ProviderKind, dict[str, BatchState]] = {
    _HO: {
        "CREATING": BatchState.PENDING,
        "PENDING": BatchState.PENDING,
        "SUBMITTING": BatchState.SUBMITTING,
        "INPROGRESS": BatchState.RUNNING,
        "STOPPING": BatchState.STOPPING,
        "CANCELLED": BatchState.CANCELLED,
        "FAILED": BatchState.FAILED,
        "PROCESSED": BatchState.PROCESSED,
        "RUNS_DELETING": BatchState.DELETING,
        "RUNS_DELETE_FAILED": BatchState.DELETE_FAILED,
        "RUNS_DELETED": BatchState.DELETED,
    },
    _TC: {
        "INIT": BatchState.PENDING,
        "RUNNING": BatchState.RUNNING,
        "SUCCESS": BatchState.SUCCEEDED,
        "FAILED": BatchState.FAILED,
        "CANCELED": BatchState.CANCELLED,
    },
    _DZ: {},
}

TASK_STATES: dict[ProviderKind, dict[str, TaskState]] = {
    _HO: {
        "PENDING": TaskState.QUEUED,
        "STARTING": TaskState.STARTING,
        "RUNNING": TaskState.RUNNING,
        "STOPPING": TaskState.STOPPING,
        "COMPLETED": TaskState.SUCCEEDED,
        "CANCELLED": TaskState.CANCELLED,
        "FAILED": TaskState.FAILED,
    },
    _TC: {
        "INIT": TaskState.QUEUED,
        "PENDING": TaskState.QUEUED,
        "RUNNING": TaskState.RUNNING,
        "SUCCESS": TaskState.SUCCEEDED,
        "FAILED": TaskState.FAILED,
        "CANCELED": TaskState.CANCELLED,
    },
    _DZ: {},
}

#: Submission outcomes of a HealthOmics batch entry are not run states; kept for the README.
SUBMISSION_STATUSES = (
    "SUCCESS",
    "FAILED",
    "CANCEL_SUCCESS",
    "CANCEL_FAILED",
    "DELETE_SUCCESS",
    "DELETE_FAILED",
)

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

_warned: set[tuple[str, str, str]] = set()


def _lookup(
    table: dict[ProviderKind, dict[str, S]], kind: str, provider: ProviderKind, value: str | None
) -> S | None:
    if value is None:
        return None
    found = table.get(provider, {}).get(value)
    if found is None:
        key = (provider.value, kind, value)
        if key not in _warned:
            _warned.add(key)
            log.warning("unknown %s %s status %r mapped to UNKNOWN", provider.value, kind, value)
    return found


def run_state(provider: ProviderKind, value: str | None) -> RunState | None:
    if value is None:
        return None
    return _lookup(RUN_STATES, "run", provider, value) or RunState.UNKNOWN


def batch_state(provider: ProviderKind, value: str | None) -> BatchState | None:
    if value is None:
        return None
    return _lookup(BATCH_STATES, "batch", provider, value) or BatchState.UNKNOWN


def task_state(provider: ProviderKind, value: str | None) -> TaskState | None:
    if value is None:
        return None
    return _lookup(TASK_STATES, "task", provider, value) or TaskState.UNKNOWN


def run_settled(provider: ProviderKind, value: str | None) -> bool:
    """A run in a settled state rarely changes: caches keep it long."""
    return run_state(provider, value) in SETTLED_RUN_STATES


def batch_settled(provider: ProviderKind, value: str | None) -> bool:
    return batch_state(provider, value) in SETTLED_BATCH_STATES


def task_settled(provider: ProviderKind, value: str | None) -> bool:
    return task_state(provider, value) in SETTLED_TASK_STATES
