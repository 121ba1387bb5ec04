"""The benchmarks' own code keeps running: the naive anchor answers the reference tree shape with
one upstream call per field it resolves (no loaders, no cache) — what it is there to show."""

from __future__ import annotations

from benchmarks import load_figures, naive
from tests.conftest import Gateway, Upstreams


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


def test_the_pacing_floor_is_the_slowest_paced_operation() -> None:
    calls = {"omics:GetBatch": 3, "omics:GetRun": 10, "omics:ListRunTasks": 21}
    assert load_figures.pacing_floor(calls) == (2.0, "21 ListRunTasks at 10/s")
    # GetBatch has no documented rate in the pacing table; one call of a paced one is free.
    assert load_figures.pacing_floor({"omics:GetBatch": 9, "omics:ListRuns": 1})[0] == 0.0


async def test_the_load_shapes_answer_and_then_come_from_cache(gateway: Gateway) -> None:
    found = load_figures.shapes(gateway.emulator, 2)
    asked = [body for bodies in found.values() for body in bodies]
    assert len(asked) >= 5
    for body in asked:
        answer = await gateway.query(body["query"], **body["variables"])
        assert not answer.get("errors"), answer
    gateway.reset_calls()
    cached = [b for name, bodies in found.items() if "listing" not in name for b in bodies]
    for body in cached:
        await gateway.data(body["query"], **body["variables"])
    assert gateway.calls() == {}, "settled shapes are served from cache"
