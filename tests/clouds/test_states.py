"""Every upstream status value maps to a normalised state; unknown ones are UNKNOWN and logged.

botocore's models are the truth for HealthOmics and DataZone; Tencent documents no enum, so the
emulator's vocabulary (the documented example's) stands in. The table in docs/states.md must agree.
"""

from __future__ import annotations

import logging
from pathlib import Path

import botocore.session
import pytest

from gateway.emulator.tencent.model import CALL_STATUSES, GROUP_STATUSES, RUN_STATUSES
from gateway.states import (
    BATCH_STATES,
    RUN_STATES,
    SUBMISSION_STATUSES,
    TASK_STATES,
    BatchState,
    RunState,
    TaskState,
    batch_state,
    run_state,
    task_state,
)
from gateway.types import ProviderKind

HO, TC, DZ = ProviderKind.HEALTHOMICS, ProviderKind.TENCENT_OMICS, ProviderKind.DATAZONE


def _enum(service: str, shape: str) -> list[str]:
    model = botocore.session.get_session().get_service_model(service)
    values: list[str] = model.shape_for(shape).enum
    return values


CASES = [
    *((run_state, HO, v, RunState) for v in _enum("omics", "RunStatus")),
    *((task_state, HO, v, TaskState) for v in _enum("omics", "TaskStatus")),
    *((batch_state, HO, v, BatchState) for v in _enum("omics", "BatchStatus")),
    *((run_state, DZ, v, RunState) for v in _enum("datazone", "JobRunStatus")),
    *((run_state, TC, v, RunState) for v in RUN_STATUSES),
    *((batch_state, TC, v, BatchState) for v in GROUP_STATUSES),
    *((task_state, TC, v, TaskState) for v in CALL_STATUSES),
]


@pytest.mark.parametrize(("fn", "provider", "value", "enum"), CASES, ids=lambda c: str(c))
def test_every_known_value_has_a_state(
    fn: object, provider: ProviderKind, value: str, enum: type
) -> None:
    state = fn(provider, value)  # type: ignore[operator]
    assert isinstance(state, enum)
    assert state.name != "UNKNOWN", (provider, value)


def test_datazone_names_its_own_settled_outcomes() -> None:
    assert run_state(DZ, "PARTIALLY_SUCCEEDED") is RunState.PARTIALLY_SUCCEEDED
    assert run_state(DZ, "TIMED_OUT") is RunState.TIMED_OUT
    assert run_state(DZ, "ABORTED") is RunState.ABORTED


def test_submission_outcomes_are_botocores() -> None:
    assert list(SUBMISSION_STATUSES) == _enum("omics", "SubmissionStatus")


@pytest.mark.parametrize("fn", [run_state, batch_state, task_state])
@pytest.mark.parametrize("provider", list(ProviderKind))
def test_unknown_values_are_unknown_and_logged(
    fn: object, provider: ProviderKind, caplog: pytest.LogCaptureFixture
) -> None:
    value = f"BRAND_NEW_{fn.__name__}_{provider.name}"  # type: ignore[attr-defined]
    with caplog.at_level(logging.WARNING, logger="gateway.states"):
        state = fn(provider, value)  # type: ignore[operator]
    assert state.name == "UNKNOWN"
    assert value in caplog.text
    assert fn(provider, None) is None  # type: ignore[operator]


def test_documented_table_lists_every_mapping() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "states.md").read_text()
    rows = {line for line in page.splitlines() if line.startswith("| ") and "`" in line}
    want = {
        f"| {provider.name} | {kind} | `{value}` | {state.value} |"
        for kind, table in (("run", RUN_STATES), ("batch", BATCH_STATES), ("task", TASK_STATES))
        for provider, values in table.items()
        for value, state in values.items()
    }
    assert rows == want
