"""AWS DataZone: its kind, and every job-run status it documents mapped to a normalised state."""

from __future__ import annotations

from gateway.states import RunState, StateTables, table
from gateway.types import ProviderKind

KIND = ProviderKind("DATAZONE", "datazone")

#: DataZone job runs only: it has no batches and no task breakdown.
STATES = StateTables(
    KIND,
    runs=table(
        RunState,
        "PARTIALLY_SUCCEEDED FAILED ABORTED TIMED_OUT",
        SCHEDULED="QUEUED",
        IN_PROGRESS="RUNNING",
        SUCCESS="SUCCEEDED",
        CANCELED="CANCELLED",
    ),
)
