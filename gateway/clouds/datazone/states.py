"""AWS DataZone: its kind, and every status value it documents mapped to a normalised state."""

from __future__ import annotations

from gateway.states import RunState, StateTables
from gateway.types import ProviderKind

KIND = ProviderKind("DATAZONE", "datazone")

STATES = StateTables(
    KIND,
    runs={
        "SCHEDULED": RunState.QUEUED,
        "IN_PROGRESS": RunState.RUNNING,
        "SUCCESS": RunState.SUCCEEDED,
        "PARTIALLY_SUCCEEDED": RunState.PARTIALLY_SUCCEEDED,
        "FAILED": RunState.FAILED,
        "ABORTED": RunState.ABORTED,
        "TIMED_OUT": RunState.TIMED_OUT,
        "CANCELED": RunState.CANCELLED,
    },
)
