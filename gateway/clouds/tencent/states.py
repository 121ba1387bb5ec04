"""Tencent Cloud Omics: its kind, and each documented status mapped to a normalised state."""

from __future__ import annotations

from gateway.states import BatchState, RunState, StateTables, TaskState
from gateway.types import ProviderKind

KIND = ProviderKind("TENCENT_OMICS", "tencent-omics")

STATES = StateTables(
    KIND,
    runs={
        # The emulator's (and the documented example's) vocabulary: INIT → PENDING → RUNNING →
        # SUCCESS | FAILED | CANCELED; a run may be CANCELED while still pending.
        "INIT": RunState.QUEUED,
        "PENDING": RunState.QUEUED,
        "RUNNING": RunState.RUNNING,
        "SUCCESS": RunState.SUCCEEDED,
        "FAILED": RunState.FAILED,
        "CANCELED": RunState.CANCELLED,
    },
    batches={
        "INIT": BatchState.PENDING,
        "RUNNING": BatchState.RUNNING,
        "SUCCESS": BatchState.SUCCEEDED,
        "FAILED": BatchState.FAILED,
        "CANCELED": BatchState.CANCELLED,
    },
    tasks={
        "INIT": TaskState.QUEUED,
        "PENDING": TaskState.QUEUED,
        "RUNNING": TaskState.RUNNING,
        "SUCCESS": TaskState.SUCCEEDED,
        "FAILED": TaskState.FAILED,
        "CANCELED": TaskState.CANCELLED,
    },
)
