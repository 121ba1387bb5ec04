"""Cost, usage and right-sizing through the gateway, against an independent computation.

The expected figures are computed here from the emulator's manifest records and price book with
the analyzer's formulas as DESIGN states them, written again (not imported from the gateway).
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.clouds.healthomics.pricing import SHIPPED_TABLE
from gateway.emulator.app import create_emulator
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id
from tests.conftest import HO_SOURCE, Gateway, Upstreams, open_gateway, settings_for

REGION = "us-east-1"
SIZES = [2, 4, 8, 16, 32, 48, 64, 96, 128, 192]
NAMES = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"]
NAMES += ["32xlarge", "48xlarge"]

RUN = """
query($id: ID!, $headroom: Float!) { node(id: $id) { ... on HealthOmicsRun {
  cost { computeUsd storageUsd totalUsd complete priceSources estimate reason
         storage { storageType chargedGiB averageGiB } }
  tasks(first: 100) { edges { node { nativeId ... on HealthOmicsTask {
    usage { cpusReserved cpusMaximum memoryMaximumGiB memoryReservedGiB gpusReserved
            runningSeconds }
    cost { usd billedSeconds instanceType priceSource estimate }
    recommendation(headroom: $headroom) { instanceType usd savingsUsd }
  } } } }
} } }
"""


def seconds_between(start: str, stop: str) -> float:
    def parse(s: str) -> datetime:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))

    return (parse(stop) - parse(start)).total_seconds()


def expected_task(record: dict[str, Any], price: Any, headroom: float) -> dict[str, Any]:
    running = seconds_between(record["startTime"], record["stopTime"])
    billed = max(60.0, running)
    usd = price(record["instanceType"]) * billed / 3600
    m = record["metrics"]
    rec = record["instanceType"]
    if m["gpusReserved"] == 0:
        cpus = math.ceil(m["cpusMaximum"] * (1 + headroom))
        mem = math.ceil(m["memoryMaximumGiB"] * (1 + headroom))
        fits = [
            f"omics.{fam}.{name}"
            for name, vcpu in zip(NAMES, SIZES, strict=True)
            for fam, ratio in (("c", 2), ("m", 4), ("r", 8))
            if vcpu >= cpus and vcpu * ratio >= mem
        ]
        rec = fits[0] if fits else rec
    rec_usd = price(rec) * billed / 3600
    return {"usd": usd, "billed": billed, "rec": rec, "rec_usd": rec_usd, "saving": usd - rec_usd}


def expected_storage(run: dict[str, Any], price: Any) -> float | None:
    hours = seconds_between(run["startTime"], run["stopTime"]) / 3600
    if run["storageType"] == "DYNAMIC":
        avg = run["metrics"].get("storageAverageGiB")
        return None if avg is None else price("Dynamic Run Storage") * avg * hours
    capacity = run["storageCapacity"]
    charged = 1200 if capacity <= 1200 else math.ceil(capacity / 2400) * 2400
    return float(price("Run Storage") * charged * hours)


@pytest.fixture(scope="module")
def reference() -> Iterator[Upstreams]:
    """The `demo` world: its reference batch holds 100 settled runs of 100 tasks, STATIC and
    DYNAMIC (long and short); GPU workflows run elsewhere in it."""
    emu = create_emulator(seed=7, scale="demo", quotas=False)
    with LoopbackServer(emu.app) as srv:
        yield Upstreams(srv.url, emu)


@pytest.fixture
async def gateway(upstreams: Upstreams, reference: Upstreams) -> AsyncIterator[Gateway]:
    reference.emulator.calls.clear()
    async for gw in open_gateway(reference, settings_for(reference.url)):
        yield gw


def pick_runs(upstreams: Upstreams) -> dict[str, str]:
    """From the reference batch: a STATIC run and a long and a short DYNAMIC one; a GPU run."""
    data = upstreams.emulator.healthomics
    assert data.reference_batch_id is not None
    chosen: dict[str, str] = {}
    for sub in data.runs_in_batch(data.reference_batch_id):
        plan = data.run_plan(sub["runId"])
        if not plan.dynamic_storage:
            chosen.setdefault("static", sub["runId"])
        elif (plan.finish - plan.start).total_seconds() >= 2 * 3600:
            chosen.setdefault("dynamic", sub["runId"])  # long enough to report an average
        else:
            chosen.setdefault("dynamic-short", sub["runId"])
    for run in data.all_runs():
        if run["status"] in ("COMPLETED", "FAILED") and data.run_plan(run["id"]).workflow.gpu:
            chosen["gpu"] = run["id"]
            break
    return chosen


async def check_run(gw: Gateway, run_id: str, price: Any, source: str, headroom: float) -> None:
    records = gw.emulator.workflow_logs.manifest_records(run_id)
    run, tasks = records[0], {r["arn"].rsplit("/", 1)[1]: r for r in records[1:]}
    gid = global_id("HealthOmicsRun", HO_SOURCE, run_id)
    got = (await gw.data(RUN, id=gid, headroom=headroom))["node"]
    total_compute = 0.0
    for edge in got["tasks"]["edges"]:
        node = edge["node"]
        want = expected_task(tasks[node["nativeId"]], price, headroom)
        total_compute += want["usd"]
        assert node["cost"]["usd"] == pytest.approx(want["usd"])
        assert node["cost"]["billedSeconds"] == pytest.approx(want["billed"])
        assert node["cost"]["priceSource"] == source and node["cost"]["estimate"] is True
        assert node["recommendation"]["instanceType"] == want["rec"]
        assert node["recommendation"]["usd"] == pytest.approx(want["rec_usd"])
        assert node["recommendation"]["savingsUsd"] == pytest.approx(want["saving"])
        metrics = tasks[node["nativeId"]]["metrics"]
        assert node["usage"]["cpusMaximum"] == metrics["cpusMaximum"]
        assert node["usage"]["memoryReservedGiB"] == metrics["memoryReservedGiB"]
        if metrics["gpusReserved"]:
            assert node["recommendation"]["instanceType"] == tasks[node["nativeId"]]["instanceType"]
    assert len(got["tasks"]["edges"]) == len(tasks)
    cost = got["cost"]
    storage = expected_storage(run, price)
    assert cost["computeUsd"] == pytest.approx(total_compute)
    assert cost["storage"]["storageType"] == run["storageType"]
    if storage is None:
        assert cost["storageUsd"] is None and cost["complete"] is False and cost["reason"]
    else:
        assert cost["storageUsd"] == pytest.approx(storage)
        assert cost["totalUsd"] == pytest.approx(total_compute + storage)
        assert cost["complete"] is True and cost["priceSources"] == [source]


async def test_cost_from_the_price_list_api(gateway: Gateway) -> None:
    runs = pick_runs(gateway.upstreams)
    assert {"static", "dynamic", "dynamic-short", "gpu"} <= runs.keys(), runs
    book = gateway.emulator.pricing

    def price(resource: str) -> float:
        found = book.price(REGION, resource)
        assert found is not None
        return found

    for kind, headroom in (("static", 0.1), ("dynamic", 0.0), ("dynamic-short", 0.5)):
        await check_run(gateway, runs[kind], price, "api", headroom)
    await check_run(gateway, runs["gpu"], price, "api", 1.0)
    calls = gateway.calls()
    # Each instance type and storage kind is asked once, however many tasks share it.
    assert calls["pricing:GetProducts"] == len(
        {
            t["instanceType"]
            for r in runs.values()
            for t in gateway.emulator.workflow_logs.manifest_records(r)[1:]
        }
        | _recommended(gateway, runs)
        | {"Run Storage", "Dynamic Run Storage"}
    )


def _recommended(gw: Gateway, runs: dict[str, str]) -> set[str]:
    out = set()
    for kind, headroom in (("static", 0.1), ("dynamic", 0.0), ("dynamic-short", 0.5), ("gpu", 1.0)):
        for record in gw.emulator.workflow_logs.manifest_records(runs[kind])[1:]:
            out.add(expected_task(record, lambda _: 1.0, headroom)["rec"])
    return out


@pytest.fixture
async def from_table(reference: Upstreams, tmp_path: Path) -> AsyncIterator[Gateway]:
    upstreams = reference
    raw = json.loads(SHIPPED_TABLE.read_text())
    del raw["regions"][REGION]["omics.r.2xlarge"]
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(raw))
    settings = settings_for(upstreams.url, pricing={"source": "table", "table_path": str(path)})
    upstreams.emulator.calls.clear()
    async for gw in open_gateway(upstreams, settings):
        yield gw


async def test_cost_from_a_table_marks_missing_prices(from_table: Gateway) -> None:
    raw = json.loads(SHIPPED_TABLE.read_text())
    table = raw["regions"][REGION]
    runs = pick_runs(from_table.upstreams)
    run_id = runs["static"]
    records = from_table.emulator.workflow_logs.manifest_records(run_id)
    gid = global_id("HealthOmicsRun", HO_SOURCE, run_id)
    got = (await from_table.data(RUN, id=gid, headroom=0.1))["node"]
    source = f"table:{raw['date']}"
    priced = 0.0
    for edge in got["tasks"]["edges"]:
        cost = edge["node"]["cost"]
        if cost["instanceType"] == "omics.r.2xlarge":
            assert cost["usd"] is None  # never a made-up number
        else:
            record = next(r for r in records if r["arn"].endswith("/" + edge["node"]["nativeId"]))
            want = expected_task(record, lambda t: table[t], 0.1)
            assert cost["usd"] == pytest.approx(want["usd"]) and cost["priceSource"] == source
            priced += want["usd"]
    assert "pricing:GetProducts" not in from_table.calls()
    missing = any(r.get("instanceType") == "omics.r.2xlarge" for r in records[1:])
    assert got["cost"]["complete"] is (not missing)
    assert got["cost"]["computeUsd"] == pytest.approx(priced)


UNSETTLED = """
query($id: ID!) { node(id: $id) { ... on HealthOmicsRun { cost { totalUsd complete reason } } } }
"""


async def test_unsettled_run_has_no_cost_and_costs_no_call(gateway: Gateway) -> None:
    run = next(r for r in gateway.emulator.healthomics.all_runs() if r["status"] == "RUNNING")
    gateway.reset_calls()
    got = await gateway.data(UNSETTLED, id=global_id("HealthOmicsRun", HO_SOURCE, run["id"]))
    cost = got["node"]["cost"]
    assert cost["totalUsd"] is None and cost["complete"] is False and "settled" in cost["reason"]
    assert set(gateway.calls()) == {"omics:GetRun"}


async def test_headroom_out_of_range(gateway: Gateway) -> None:
    run_id = pick_runs(gateway.upstreams)["static"]
    task_id = gateway.emulator.healthomics.tasks(run_id)[0]["taskId"]
    query = """query($id: ID!) { node(id: $id) { ... on HealthOmicsTask {
      recommendation(headroom: 1.5) { instanceType } } } }"""
    gateway.reset_calls()
    body = await gateway.query(
        query, id=global_id("HealthOmicsTask", HO_SOURCE, f"{run_id}/{task_id}")
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert set(gateway.calls()) == {"omics:GetRunTask"}


BATCH = """
query($source: String!, $id: String!) { batch(source: $source, id: $id) {
  ... on HealthOmicsBatch { cost { totalUsd computeUsd storageUsd complete runsCounted
                                   runsWithoutCost priceSources } }
} }
"""


async def test_batch_cost_sums_its_runs(gateway: Gateway) -> None:
    emu = gateway.emulator
    # A processed batch with a failed run and a failed submission (the reference batch's
    # 10,000 tasks would only make this slower, not stronger).
    batch = next(b for b in emu.healthomics.batches(status="PROCESSED") if b["name"] != "reference")
    subs = [s for s in emu.healthomics.runs_in_batch(batch["id"]) if s["runId"]]
    total, counted = 0.0, 0
    for sub in subs:
        records = emu.workflow_logs.manifest_records(sub["runId"])
        run, tasks = records[0], records[1:]
        total += sum(expected_task(t, _api(emu), 0.1)["usd"] for t in tasks)
        total += expected_storage(run, _api(emu)) or 0.0
        counted += 1
    got = (await gateway.data(BATCH, source=HO_SOURCE, id=batch["id"]))["batch"]["cost"]
    assert got["runsCounted"] == counted and got["runsWithoutCost"] == 0
    assert got["totalUsd"] == pytest.approx(total)
    assert "omics:GetRun" not in gateway.calls()


def _api(emu: Any) -> Any:
    def price(resource: str) -> float:
        found = emu.pricing.price(REGION, resource)
        assert found is not None
        return float(found)

    return price
