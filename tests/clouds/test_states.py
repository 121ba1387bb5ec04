"""Every upstream status value maps to a normalised state; unknown ones are UNKNOWN and logged.

botocore's models are the truth for HealthOmics and DataZone; Tencent documents no enum, so the
emulator's vocabulary (the documented example's) stands in. docs/states.md must agree.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import botocore.session
import pytest

from gateway.clouds.datazone.states import STATES as DZ
from gateway.clouds.healthomics.states import STATES as HO
from gateway.clouds.healthomics.states import SUBMISSION_STATUSES
from gateway.clouds.registry import DEFAULT_CLOUDS
from gateway.clouds.tencent.states import STATES as TC
from gateway.emulator.tencent.model import CALL_STATUSES, GROUP_STATUSES, RUN_STATUSES
from gateway.states import BatchState, RunState, StateTables, TaskState


def _enum(service: str, shape: str) -> list[str]:
    model = botocore.session.get_session().get_service_model(service)
    values: list[str] = model.shape_for(shape).enum
    return values


CASES = [
    *((HO.run_state, v, RunState) for v in _enum("omics", "RunStatus")),
    *((HO.task_state, v, TaskState) for v in _enum("omics", "TaskStatus")),
    *((HO.batch_state, v, BatchState) for v in _enum("omics", "BatchStatus")),
    *((DZ.run_state, v, RunState) for v in _enum("datazone", "JobRunStatus")),
    *((TC.run_state, v, RunState) for v in RUN_STATUSES),
    *((TC.batch_state, v, BatchState) for v in GROUP_STATUSES),
    *((TC.task_state, v, TaskState) for v in CALL_STATUSES),
]


def _id(param: object) -> str:
    if callable(param) and hasattr(param, "__self__"):
        return f"{param.__self__.kind.value}.{param.__name__}"
    return getattr(param, "__name__", str(param))


@pytest.mark.parametrize(("fn", "value", "enum"), CASES, ids=_id)
def test_every_known_value_has_a_state(
    fn: Callable[[str | None], object], value: str, enum: type
) -> None:
    state = fn(value)
    assert isinstance(state, enum)
    assert state.name != "UNKNOWN", value


def test_datazone_names_its_own_settled_outcomes() -> None:
    assert DZ.run_state("PARTIALLY_SUCCEEDED") is RunState.PARTIALLY_SUCCEEDED
    assert DZ.run_state("TIMED_OUT") is RunState.TIMED_OUT
    assert DZ.run_state("ABORTED") is RunState.ABORTED


def test_submission_outcomes_are_botocores() -> None:
    assert list(SUBMISSION_STATUSES) == _enum("omics", "SubmissionStatus")


def test_each_cloud_of_the_registry_brings_its_tables() -> None:
    assert [c.states for c in DEFAULT_CLOUDS] == [HO, TC, DZ]


@pytest.mark.parametrize("kind", ["run", "batch", "task"])
@pytest.mark.parametrize("tables", [HO, TC, DZ], ids=lambda t: t.kind.value)
def test_unknown_values_are_unknown_and_logged(
    kind: str, tables: StateTables, caplog: pytest.LogCaptureFixture
) -> None:
    fn: Callable[[str | None], RunState | BatchState | TaskState | None]
    fn = getattr(tables, f"{kind}_state")
    value = f"BRAND_NEW_{kind}_{tables.kind.name}"
    with caplog.at_level(logging.WARNING, logger="gateway.states"):
        state = fn(value)
    assert state is not None and state.name == "UNKNOWN"
    assert value in caplog.text
    assert fn(None) is None


def test_documented_table_lists_every_mapping() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "states.md").read_text()
    rows = {line for line in page.splitlines() if line.startswith("| ") and "`" in line}
    want = {
        f"| {t.kind.name} | {kind} | `{value}` | {state.value} |"
        for t in (HO, DZ, TC)
        for kind, table in (("run", t.runs), ("batch", t.batches), ("task", t.tasks))
        for value, state in table.items()
    }
    assert rows == want
