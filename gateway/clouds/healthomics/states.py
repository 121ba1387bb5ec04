"""AWS HealthOmics: its kind, and every status value it documents mapped to a normalised state."""

from __future__ import annotations

from gateway.states import BatchState, RunState, StateTables, TaskState
from gateway.types import ProviderKind

KIND = ProviderKind("HEALTHOMICS", "healthomics")

#: Submission outcomes of a HealthOmics batch entry are not run states; listed in docs/states.md.
SUBMISSION_STATUSES = (
    "SUCCESS",
    "FAILED",
    "CANCEL_SUCCESS",
    "CANCEL_FAILED",
    "DELETE_SUCCESS",
    "DELETE_FAILED",
)

STATES = StateTables(
    KIND,
    runs={
        "PENDING": RunState.QUEUED,
        "STARTING": RunState.STARTING,
        "RUNNING": RunState.RUNNING,
        "STOPPING": RunState.STOPPING,
        "COMPLETED": RunState.SUCCEEDED,
        "DELETED": RunState.DELETED,
        "CANCELLED": RunState.CANCELLED,
        "FAILED": RunState.FAILED,
    },
    batches={
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
    tasks={
        "PENDING": TaskState.QUEUED,
        "STARTING": TaskState.STARTING,
        "RUNNING": TaskState.RUNNING,
        "STOPPING": TaskState.STOPPING,
        "COMPLETED": TaskState.SUCCEEDED,
        "CANCELLED": TaskState.CANCELLED,
        "FAILED": TaskState.FAILED,
    },
)
