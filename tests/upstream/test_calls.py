"""Upstream calls counted at the emulator: dedupe, priming, and one call per page."""

from __future__ import annotations

import math

from gateway.graph.ids import global_id
from tests.conftest import Gateway


def completed_runs(gw: Gateway) -> list[str]:
    ho = gw.emulator.healthomics
    return [r["id"] for r in ho.all_runs() if r["status"] == "COMPLETED"]


async def test_same_object_twice_costs_one_call(gateway: Gateway) -> None:
    batch = gateway.emulator.healthomics.batch_ids()[0]
    run = completed_runs(gateway)[0]
    gid = global_id("HealthOmicsRun", "aws", run)
    await gateway.data(
        f'{{ a: batch(source: "aws", id: "{batch}") {{ name }} b: batch(source: "aws", id: "{batch}") {{ status }}'
        f' r: run(source: "aws", id: "{run}") {{ name }} n: node(id: "{gid}") {{ id }}'
        f' m: nodes(ids: ["{gid}", "{gid}"]) {{ id }} }}'
    )
    assert gateway.calls() == {"omics:GetBatch": 1, "omics:GetRun": 1}


async def test_batch_tree_reads_runs_from_listruns_not_getrun(gateway: Gateway) -> None:
    ho = gateway.emulator.healthomics
    batch = max(ho.batch_ids(), key=lambda b: len(ho.runs_in_batch(b)))
    runs = [s for s in ho.runs_in_batch(batch) if s["runId"]]
    q = f"""{{ batch(source: "aws", id: "{batch}") {{ name runs(first: 100) {{ edges {{
      submission {{ runSettingId }} node {{ name status state startedAt stoppedAt }} }} }} }} }}"""
    data = await gateway.data(q)
    assert sum(1 for e in data["batch"]["runs"]["edges"] if e["node"]) == len(runs)
    assert gateway.calls() == {
        "omics:GetBatch": 1,
        "omics:ListRunsInBatch": 1,
        "omics:ListRuns": math.ceil(len(runs) / 100),
    }


async def test_paging_forward_costs_one_call_per_page(gateway: Gateway) -> None:
    ho = gateway.emulator.healthomics
    run = max(completed_runs(gateway), key=lambda r: len(ho.tasks(r)))
    total = len(ho.tasks(run))
    q = """query($run: String!, $after: String) { run(source: "aws", id: $run) {
      tasks(first: 10, after: $after) { pageInfo { hasNextPage endCursor } edges { node { nativeId } } } } }"""
    after = None
    pages = 0
    while True:
        conn = (await gateway.data(q, run=run, after=after))["run"]["tasks"]
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert pages == math.ceil(total / 10)
    # The first page asks for 11 (page + look-ahead); each later page re-reads its cursor's page
    # from upstream grown to cover the window, one view per request (paging/pages.py): one call,
    # or two where the window crosses the end of a 100-item upstream page.
    calls = gateway.calls()["omics:ListRunTasks"]
    assert pages <= calls <= pages + math.ceil(total / 100)
