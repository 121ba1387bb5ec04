"""The benchmarks' own code keeps running: the naive anchor answers the reference tree shape with
one upstream call per field it resolves (no loaders, no cache) — what it is there to show."""

from __future__ import annotations

from benchmarks import naive
from tests.conftest import Upstreams


async def test_the_naive_anchor_makes_one_call_per_resolved_field(upstreams: Upstreams) -> None:
    upstreams.emulator.faults.reset(quotas=False)
    ho = upstreams.emulator.healthomics
    batch = next(b for b in ho.batch_ids() if ho.runs_in_batch(b))
    upstreams.emulator.calls.clear()
    _, tasks = await naive.cold_tree(upstreams.url, batch)
    calls = upstreams.emulator.calls.counts()
    runs = [s["runId"] for s in ho.runs_in_batch(batch) if s.get("runId")]
    assert calls["omics:GetBatch"] == 2  # the warm-up and the tree's own
    assert calls["omics:ListRunsInBatch"] == 1
    assert calls["omics:GetRun"] == len(runs) == calls["omics:ListRunTasks"]
    assert tasks == sum(len(ho.tasks(r)) for r in runs)
