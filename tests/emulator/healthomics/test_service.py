"""Every HealthOmics operation through a real boto3 client: all fields, all pages, all truths."""

from __future__ import annotations

from collections import Counter
from typing import Any

import botocore.session

from gateway.emulator.aws.protocol import validate
from tests.emulator.conftest import Served, strip_none, without_metadata

MODEL = botocore.session.get_session().get_service_model("omics")


def _members(shape_name: str) -> set[str]:
    return set(MODEL.shape_for(shape_name).members)


def _walk(client: Any, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator(operation)
    key = paginator._pagination_cfg["result_key"]
    return [item for page in paginator.paginate(**kwargs) for item in page[key]]


def test_list_batch_walks_every_batch_in_order(emulator: Served, omics: Any) -> None:
    truth = emulator.emulator.healthomics.batches()
    items = _walk(omics, "list_batch", PaginationConfig={"PageSize": 3})
    assert items == strip_none(truth)
    assert set().union(*items) == _members("BatchListItem")
    statuses = {i["status"] for i in items}
    assert statuses == set(MODEL.shape_for("BatchStatus").enum)


def test_get_batch_agrees_with_its_listings(emulator: Served, omics: Any) -> None:
    data = emulator.emulator.healthomics
    seen: set[str] = set()
    for batch_id in data.batch_ids():
        batch = without_metadata(omics.get_batch(batchId=batch_id))
        assert batch == strip_none(data.batch(batch_id))
        validate(MODEL.operation_model("GetBatch").output_shape, data.batch(batch_id), "")
        seen |= set(batch)
        subs = _walk(
            omics, "list_runs_in_batch", batchId=batch_id, PaginationConfig={"PageSize": 2}
        )
        assert subs == strip_none(data.runs_in_batch(batch_id))
        runs = _walk(omics, "list_runs", batchId=batch_id)
        by_status = Counter(r["status"] for r in runs)
        summary = batch["runSummary"]
        for status in MODEL.shape_for("RunStatus").enum:
            assert summary[f"{status.lower()}RunCount"] == by_status[status]
        sub_counts = Counter(s["submissionStatus"] for s in subs)
        assert batch["submissionSummary"]["failedStartSubmissionCount"] == sub_counts["FAILED"]
        assert (
            batch["totalRuns"]
            == len(subs) + batch["submissionSummary"]["pendingStartSubmissionCount"]
        )
        assert {s["runId"] for s in subs if "runId" in s} == {r["id"] for r in runs}
        for s in subs:
            assert ("runId" in s) == (s["submissionStatus"] != "FAILED")
    assert seen == set(MODEL.operation_model("GetBatch").output_shape.members)


def test_list_runs_in_batch_covers_every_field_and_status(emulator: Served, omics: Any) -> None:
    data = emulator.emulator.healthomics
    subs = [s for b in data.batch_ids() for s in _walk(omics, "list_runs_in_batch", batchId=b)]
    assert set().union(*subs) == _members("RunBatchListItem")
    assert {s["submissionStatus"] for s in subs} == set(MODEL.shape_for("SubmissionStatus").enum)


def test_list_runs_and_get_run(emulator: Served, omics: Any) -> None:
    data = emulator.emulator.healthomics
    items = _walk(omics, "list_runs", PaginationConfig={"PageSize": 7})
    assert items == strip_none(data.all_runs())
    assert set().union(*items) == _members("RunListItem")
    assert {i["status"] for i in items} == set(MODEL.shape_for("RunStatus").enum)
    seen: set[str] = set()
    shape = MODEL.operation_model("GetRun").output_shape
    for item in items:
        run = without_metadata(omics.get_run(id=item["id"]))
        assert run == strip_none(data.run(item["id"]))
        validate(shape, data.run(item["id"]), "")
        assert run["arn"] == f"arn:aws:omics:us-east-1:{data.account}:run/{run['id']}"
        seen |= set(run)
    assert seen == set(shape.members)


def test_list_runs_filters(emulator: Served, omics: Any) -> None:
    data = emulator.emulator.healthomics
    for status in MODEL.shape_for("RunStatus").enum:
        got = _walk(omics, "list_runs", status=status)
        assert got and got == strip_none(data.runs(status=status))
    group = data.run_group_ids()[0]
    assert _walk(omics, "list_runs", runGroupId=group) == strip_none(data.runs(run_group_id=group))
    named = _walk(omics, "list_runs", name="NA12878-wgs")
    assert len(named) >= 2 and {r["name"] for r in named} == {"NA12878-wgs"}
    batch = data.batch_ids()[0]
    both = _walk(omics, "list_runs", batchId=batch, status="PENDING")
    assert both == strip_none(data.runs(batch_id=batch, status="PENDING"))


def test_list_runs_in_batch_single_filters(emulator: Served, omics: Any) -> None:
    data = emulator.emulator.healthomics
    batch = next(b for b in data.batch_ids() if data.batch(b)["status"] == "PROCESSED")
    subs = data.runs_in_batch(batch)
    failed = _walk(omics, "list_runs_in_batch", batchId=batch, submissionStatus="FAILED")
    assert failed == strip_none([s for s in subs if s["submissionStatus"] == "FAILED"])
    assert failed and "runId" not in failed[0]
    one = _walk(omics, "list_runs_in_batch", batchId=batch, runSettingId=subs[0]["runSettingId"])
    assert one == strip_none(subs[:1])
    run_id = next(s["runId"] for s in subs if s["runId"])
    assert [
        s["runId"] for s in _walk(omics, "list_runs_in_batch", batchId=batch, runId=run_id)
    ] == [run_id]


def test_tasks_list_and_get_agree(emulator: Served, omics: Any) -> None:
    data = emulator.emulator.healthomics
    live = [r for r in data.all_runs() if r["status"] != "DELETED"]
    statuses: set[str] = set()
    list_fields: set[str] = set()
    get_fields: set[str] = set()
    longest = 0
    for run in live:
        tasks = _walk(omics, "list_run_tasks", id=run["id"], PaginationConfig={"PageSize": 100})
        assert tasks == strip_none(data.tasks(run["id"]))
        longest = max(longest, len(tasks))
        statuses |= {t["status"] for t in tasks}
        list_fields |= set().union(set(), *tasks)
        unusual = [t for t in tasks if t["status"] != "COMPLETED"]
        for t in tasks[:2] + unusual[:3]:
            full = without_metadata(omics.get_run_task(id=run["id"], taskId=t["taskId"]))
            assert full == strip_none(data.task(run["id"], t["taskId"]))
            assert {k: full[k] for k in t} == t
            get_fields |= set(full)
    assert longest > 100
    assert statuses == set(MODEL.shape_for("TaskStatus").enum)
    assert list_fields == _members("TaskListItem")
    assert get_fields == set(MODEL.operation_model("GetRunTask").output_shape.members)


def test_task_status_filter(emulator: Served, omics: Any) -> None:
    data = emulator.emulator.healthomics
    run = next(r for r in data.all_runs() if r["status"] == "STOPPING")
    for status in ("STOPPING", "COMPLETED"):
        got = _walk(omics, "list_run_tasks", id=run["id"], status=status)
        assert got == strip_none(data.tasks(run["id"], status=status))


def test_other_region_sees_no_data(emulator: Served) -> None:
    from tests.emulator.conftest import aws_client

    client = aws_client(emulator, "omics", region="eu-west-1")
    assert client.list_batch()["items"] == []
    run_id = emulator.emulator.healthomics.all_runs()[0]["id"]
    try:
        client.get_run(id=run_id)
    except client.exceptions.ResourceNotFoundException:
        pass
    else:
        raise AssertionError("a run from us-east-1 must not be found in eu-west-1")
