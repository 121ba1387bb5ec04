"""AWS HealthOmics: its kind, and every status value it documents mapped to a normalised state."""

from __future__ import annotations

from gateway.states import BatchState, RunState, StateTables, TaskState, table
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
    runs=table(
        RunState,
        "STARTING RUNNING STOPPING DELETED CANCELLED FAILED",
        PENDING="QUEUED",
        COMPLETED="SUCCEEDED",
    ),
    batches=table(
        BatchState,
        "PENDING SUBMITTING STOPPING CANCELLED FAILED PROCESSED",
        CREATING="PENDING",
        INPROGRESS="RUNNING",
        RUNS_DELETING="DELETING",
        RUNS_DELETE_FAILED="DELETE_FAILED",
        RUNS_DELETED="DELETED",
    ),
    tasks=table(
        TaskState,
        "STARTING RUNNING STOPPING CANCELLED FAILED",
        PENDING="QUEUED",
        COMPLETED="SUCCEEDED",
    ),
)
