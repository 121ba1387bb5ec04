"""`python -m benchmarks.diagnostics`: a batch's failed runs, each failed task's error excerpt
and the batch's cost, in upstream calls ÷ the minimum the data allows (goal 1.00), then warm.

The minimum, by operation, from the emulator's own data (counted at the emulator):
GetBatch 1; ListRuns(batchId, status FAILED) ⌈failed runs / 100⌉; ListRunsInBatch
⌈submissions / 100⌉ (the only listing that carries each run's uuid, which names its manifest);
ListRunTasks(status FAILED) 1 per failed run; GetLogEvents 1 per failed task (a tail read) and,
per run manifest, its pages + 1 (CloudWatch only says "end of stream" by handing back the token
it was given); GetProducts 1 per instance type and storage kind in the region, once a day.
Warm: the same query again, answered from the caches: goal 0 calls.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections import Counter
from typing import Any

import httpx

from gateway.app import create_app
from gateway.config import load_settings
from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.server import LoopbackServer

QUERY = """
query($source: String!, $batchId: String!) {
  batch(source: $source, id: $batchId) {
    name
    ... on HealthOmicsBatch { cost { totalUsd complete runsCounted runsWithoutCost } }
  }
  runs(source: $source, batchId: $batchId, status: "FAILED", first: 20) {
    edges { node { nativeId ... on HealthOmicsRun {
      tasks(first: 5, status: "FAILED") { edges { node { nativeId errorExcerpt } } }
    } } }
  }
}
"""


def minimum(emu: Emulator, batch_id: str) -> Counter[str]:
    data = emu.healthomics
    subs = data.runs_in_batch(batch_id)
    failed = data.runs(batch_id=batch_id, status="FAILED")
    assert len(failed) <= 20, "the query reads the first 20 failed runs"
    assert all(len(data.tasks(r["id"], status="FAILED")) <= 5 for r in failed)
    need: Counter[str] = Counter()
    need["omics:GetBatch"] = 1
    need["omics:ListRuns"] = max(1, math.ceil(len(failed) / 100))
    need["omics:ListRunsInBatch"] = max(1, math.ceil(len(subs) / 100))
    need["omics:ListRunTasks"] = len(failed)
    need["logs:GetLogEvents"] = sum(len(data.tasks(r["id"], status="FAILED")) for r in failed)
    resources: set[str] = set()
    for sub in subs:
        if not sub["runId"]:
            continue
        records = emu.workflow_logs.manifest_records(sub["runId"])
        need["logs:GetLogEvents"] += math.ceil(len(records) / 10_000) + 1
        resources.add(
            "Run Storage" if records[0]["storageType"] == "STATIC" else "Dynamic Run Storage"
        )
        resources |= {str(r["instanceType"]) for r in records[1:]}
    need["pricing:GetProducts"] = len(resources)
    return need


async def main() -> None:
    os.environ["AWS_ACCESS_KEY_ID"] = DEMO_ACCESS_KEY_ID
    os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_SECRET_ACCESS_KEY
    emu = create_emulator(seed=7, scale="demo", quotas=False)
    batch = next(b for b in emu.healthomics.batches(status="PROCESSED") if b["name"] != "reference")
    with LoopbackServer(emu.app) as srv:
        settings = load_settings(
            None,
            sources=[
                {
                    "name": "aws",
                    "provider": "healthomics",
                    "region": "us-east-1",
                    "endpoint_url": srv.url,
                }
            ],
            cursors={"keys": ["benchmark-cursor-key-01"]},
            limits={"upstream_rates": {}},
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
                variables: dict[str, Any] = {"source": "aws", "batchId": batch["id"]}
                emu.calls.clear()
                cold = (
                    await client.post("/graphql", json={"query": QUERY, "variables": variables})
                ).json()
                assert not cold.get("errors"), cold["errors"]
                made = Counter(emu.calls.counts())
                emu.calls.clear()
                warm = (
                    await client.post("/graphql", json={"query": QUERY, "variables": variables})
                ).json()
                assert warm["data"] == cold["data"]
                warm_calls = sum(emu.calls.counts().values())
    need = minimum(emu, batch["id"])
    print(
        f"batch {batch['name']}: {len(cold['data']['runs']['edges'])} failed runs, "
        f"cost {cold['data']['batch']['cost']}"
    )
    print(f"  {'operation':<24} {'calls':>6} {'minimum':>8}")
    for op in sorted(set(made) | set(need)):
        print(f"  {op:<24} {made[op]:>6} {need[op]:>8}")
    total, floor = sum(made.values()), sum(need.values())
    print(f"  cold: {total} calls ÷ minimum {floor} = {total / floor:.2f} (goal 1.00)")
    print(f"  warm: {warm_calls} calls (goal 0)")


if __name__ == "__main__":
    asyncio.run(main())
