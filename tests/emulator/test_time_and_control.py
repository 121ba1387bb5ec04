"""Simulated time moves live runs and nothing else; the control API steers a served emulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from gateway.emulator.app import create_emulator
from gateway.emulator.server import LoopbackServer
from tests.emulator.conftest import Served, aws_client, strip_none, without_metadata


@pytest.fixture
def private() -> Iterator[Served]:
    """An emulator of its own: these tests move its clock, which the shared one must not see."""
    emu = create_emulator(seed=7, scale="small")
    with LoopbackServer(emu.app) as srv:
        yield Served(srv.url, emu)


def _tasks(client: Any, run_id: str) -> list[dict[str, Any]]:
    pages = client.get_paginator("list_run_tasks").paginate(id=run_id)
    return [t for page in pages for t in page["items"]]


def test_advancing_moves_running_runs_and_leaves_settled_ones(private: Served) -> None:
    omics = aws_client(private, "omics")
    data = private.emulator.healthomics
    running = max(data.runs(status="RUNNING"), key=lambda r: data.run_plan(r["id"]).n_tasks)
    settled = data.runs(status="COMPLETED")[0]["id"]
    run_before = without_metadata(omics.get_run(id=running["id"]))
    tasks_before = _tasks(omics, running["id"])
    settled_before = (omics.get_run(id=settled)["status"], _tasks(omics, settled))
    assert "stopTime" not in run_before

    now = httpx.post(private.url + "/_emulator/clock", json={"advance": 600}).json()["now"]
    assert now.startswith("2026-11-02T09:10")
    tasks_later = _tasks(omics, running["id"])
    assert tasks_later != tasks_before
    assert len(tasks_later) >= len(tasks_before)

    private.emulator.clock.advance(3 * 86400)
    run_after = without_metadata(omics.get_run(id=running["id"]))
    assert run_after["status"] == "COMPLETED"
    assert run_after["stopTime"] > run_after["startTime"]
    tasks_after = _tasks(omics, running["id"])
    assert len(tasks_after) == data.run_plan(running["id"]).n_tasks > 100
    assert {t["status"] for t in tasks_after} == {"COMPLETED"}
    assert (omics.get_run(id=settled)["status"], _tasks(omics, settled)) == settled_before
    assert run_after == strip_none(data.run(running["id"]))


def test_batches_settle_with_their_runs(private: Served) -> None:
    data = private.emulator.healthomics
    live = {
        b["id"]: b["status"] for b in data.batches() if b["status"] in ("INPROGRESS", "STOPPING")
    }
    assert set(live.values()) == {"INPROGRESS", "STOPPING"}
    private.emulator.clock.advance(5 * 86400)
    after = {b["id"]: b["status"] for b in data.batches() if b["id"] in live}
    assert {after[b] for b, s in live.items() if s == "INPROGRESS"} == {"PROCESSED"}
    assert {after[b] for b, s in live.items() if s == "STOPPING"} == {"CANCELLED"}
    for batch_id in live:
        assert data.batch(batch_id)["processedTime"] is not None


def test_dataset_document(emulator: Served) -> None:
    doc = httpx.get(emulator.url + "/_emulator/dataset").json()
    data = emulator.emulator
    assert doc["healthomics"] == {"us-east-1": {"batches": data.healthomics.batch_ids()}}
    domains = doc["datazone"]["us-east-1"]["domains"]
    assert domains == {d: {"jobs": data.datazone.jobs(d)} for d in data.datazone.domains()}
    for region in doc["tencent"].values():
        assert set(region) >= {"projects", "defaultProject"}
    assert "reference" not in doc  # small has no reference batch


def test_calls_faults_and_tokens_routes(emulator: Served, omics: Any) -> None:
    base = emulator.url + "/_emulator"
    omics.list_runs(maxResults=1)
    omics.list_runs(maxResults=1)
    assert httpx.get(base + "/calls").json() == {"counts": {"omics:ListRuns": 2}, "total": 2}
    tokens = httpx.get(base + "/tokens").json()["tokens"]
    assert len(tokens) == 2
    assert httpx.delete(base + "/calls").json()["total"] == 0
    put = httpx.put(
        base + "/faults", json={"service": "omics", "operation": "GetRun", "latency_ms": 5}
    )
    assert put.json()["faults"]["omics:GetRun"]["latency_ms"] == 5
    assert httpx.put(base + "/faults", json={"service": "nope"}).status_code == 400
    assert httpx.put(base + "/faults", json={"service": "omics", "bogus": 1}).status_code == 400
    assert httpx.post(base + "/faults/preset", json={"name": "nope"}).status_code == 400
    reset = httpx.delete(base + "/faults").json()["faults"]
    assert set(reset) == {"tencent:*"}  # the default Tencent quota only
    now = httpx.get(base + "/clock").json()["now"]
    assert datetime.fromisoformat(now) == emulator.emulator.clock.now()
    assert httpx.post(base + "/clock", json={"advance": -1}).status_code == 400


def test_reference_batch_at_demo_scale() -> None:
    emu = create_emulator(seed=1, scale="demo")
    ref = emu.dataset()["reference"]["healthomics"]
    assert ref["region"] == "us-east-1"
    batch = emu.healthomics.batch(ref["batchId"])
    assert batch["name"] == "reference" and batch["totalRuns"] == 100
    assert batch["runSummary"]["completedRunCount"] == 100
    runs = emu.healthomics.runs(batch_id=ref["batchId"])
    assert len(runs) == 100
    for run in runs:
        tasks = emu.healthomics.tasks(run["id"])
        assert len(tasks) == 100 and {t["status"] for t in tasks} == {"COMPLETED"}
