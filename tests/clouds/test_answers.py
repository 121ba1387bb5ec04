"""Malformed upstream answers, through the real clients: a 200 whose body is not JSON, is cut
short, lacks a record's identity field or holds it with the wrong type is UPSTREAM_ERROR on the
field's path, while the rest of the tree answers; never an empty page, a made-up id or INTERNAL."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.emulator.faults import ANSWER_FAULTS, OperationFaults
from tests.conftest import DZ_SOURCE, Gateway, datazone_domain

SOURCES = "s: sources { name }"


def _ids(gw: Gateway) -> dict[str, Any]:
    """Objects whose listings are not empty, so a spoiled answer has records to spoil."""
    emu = gw.emulator
    ho_run = next(r for r in emu.healthomics.all_runs() if emu.healthomics.tasks(str(r["id"])))
    tc_run = next(r for r in emu.tencent.runs() if emu.tencent.calls(r["RunUuid"]))
    domain = datazone_domain(gw.upstreams.url)
    return {
        "hoRun": str(ho_run["id"]),
        "hoBatch": emu.healthomics.batch_ids()[0],
        "tcRun": tc_run["RunUuid"],
        "dzJob": next(j for j in emu.datazone.jobs(domain) if emu.datazone.job_runs(domain, j)),
    }


#: (service, operation, query under `a`, variables used, path of the failing field)
CASES: list[tuple[str, str, str, str, list[str]]] = [
    (
        "omics",
        "ListRuns",
        'runs(source: "aws", first: 3) { edges { node { nativeId } } }',
        "",
        ["a"],
    ),
    (
        "omics",
        "GetRun",
        'run(source: "aws", id: $hoRun) { nativeId name }',
        "$hoRun: String!",
        ["a"],
    ),
    (
        "omics",
        "ListRunTasks",
        'run(source: "aws", id: $hoRun) { nativeId tasks(first: 3) { edges { node { nativeId } } } }',
        "$hoRun: String!",
        ["a", "tasks"],
    ),
    (
        "omics",
        "ListBatch",
        'batches(source: "aws", first: 3) { edges { node { nativeId } } }',
        "",
        ["a"],
    ),
    (
        "omics",
        "GetBatch",
        'batch(source: "aws", id: $hoBatch) { nativeId status }',
        "$hoBatch: String!",
        ["a"],
    ),
    (
        "omics",
        "ListRunsInBatch",
        'batch(source: "aws", id: $hoBatch) { nativeId runs(first: 3) { edges { submission { runSettingId } } } }',
        "$hoBatch: String!",
        ["a", "runs"],
    ),
    (
        "tencent",
        "DescribeRuns",
        'runs(source: "tencent", first: 3) { edges { node { nativeId } } }',
        "",
        ["a"],
    ),
    (
        "tencent",
        "DescribeRunGroups",
        'batches(source: "tencent", first: 3) { edges { node { nativeId } } }',
        "",
        ["a"],
    ),
    (
        "tencent",
        "GetRunCalls",
        'run(source: "tencent", id: $tcRun) { nativeId tasks(first: 3) { edges { node { nativeId } } } }',
        "$tcRun: String!",
        ["a", "tasks"],
    ),
    (
        "datazone",
        "ListJobRuns",
        f'dataZoneJob(source: "{DZ_SOURCE}", id: $dzJob) {{ jobId runs(first: 3) {{ edges {{ node {{ nativeId }} }} }} }}',
        "$dzJob: String!",
        ["a", "runs"],
    ),
]
FAULTS = [f for f in ANSWER_FAULTS if f]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(
    ("service", "operation", "field", "declared", "path"), CASES, ids=[c[1] for c in CASES]
)
async def test_a_malformed_answer_is_an_upstream_error_on_its_path(
    gateway: Gateway,
    fault: str,
    service: str,
    operation: str,
    field: str,
    declared: str,
    path: list[str],
) -> None:
    ids = _ids(gateway)
    variables = {name: ids[name] for name in ids if f"${name}" in declared}
    signature = f"({declared})" if declared else ""
    query = f"query{signature} {{ a: {field} {SOURCES} }}"
    gateway.emulator.faults.configure(service, operation, answer=fault)
    body = await gateway.query(query, **variables)
    errors = body.get("errors") or []
    assert [e["extensions"]["code"] for e in errors] == ["UPSTREAM_ERROR"], errors
    assert errors[0]["path"] == path, errors
    assert errors[0]["extensions"]["upstreamCode"] == operation
    data = body["data"]
    assert data["s"], "the rest of the tree answers"
    node: Any = data
    for step in path:
        node = node[step]
    assert node is None, f"no empty page or made-up record in place of the error: {data}"
    calls = gateway.calls()
    assert calls.get(f"{service}:{operation}", 0) >= 1, calls
    # Healthy again, the same query answers (the malformed answer was not cached).
    gateway.emulator.faults.reset(quotas=False)
    again = await gateway.query(query, **variables)
    assert not again.get("errors"), again


def test_answer_faults_are_checked() -> None:
    with pytest.raises(ValueError):
        OperationFaults(answer="bogus")
