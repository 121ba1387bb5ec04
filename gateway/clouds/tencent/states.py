"""Tencent Cloud Omics: its kind, and each documented status mapped to a normalised state."""

from __future__ import annotations

from gateway.states import BatchState, RunState, StateTables, TaskState, table
from gateway.types import ProviderKind

KIND = ProviderKind("TENCENT_OMICS", "tencent-omics")

# The emulator's (and the documented example's) vocabulary: INIT → PENDING → RUNNING →
# SUCCESS | FAILED | CANCELED; a run may be CANCELED while still pending.
STATES = StateTables(
    KIND,
    runs=table(
        RunState,
        "RUNNING FAILED",
        INIT="QUEUED",
        PENDING="QUEUED",
        SUCCESS="SUCCEEDED",
        CANCELED="CANCELLED",
    ),
    batches=table(
        BatchState, "RUNNING FAILED", INIT="PENDING", SUCCESS="SUCCEEDED", CANCELED="CANCELLED"
    ),
    tasks=table(
        TaskState,
        "RUNNING FAILED",
        INIT="QUEUED",
        PENDING="QUEUED",
        SUCCESS="SUCCEEDED",
        CANCELED="CANCELLED",
    ),
)
