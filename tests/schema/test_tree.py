"""A whole batch → runs → tasks tree in one query equals the emulator's ground truth."""

from __future__ import annotations

from typing import Any

from tests.conftest import HO_SOURCE, Gateway

TREE = """
fragment TaskFields on Task { nativeId name status state }
query Tree($batch: String!) {
  batch(source: "aws", id: $batch) {
    nativeId name status totalRuns
    ... on HealthOmicsBatch { arn uuid runSummary { completedRunCount failedRunCount } }
    runs(first: 100) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage }
      edges {
        submission { runSettingId submissionStatus runId submissionFailureReason }
        node {
          nativeId name status state
          ... on HealthOmicsRun {
            workflowName batchId
            tasks(first: 100) { edges { node { ...TaskFields ... on HealthOmicsTask { cpus memory } } } }
          }
        }
      }
    }
  }
}
"""


def _batch_with_failed_submission(gw: Gateway) -> str:
    ho = gw.emulator.healthomics
    for batch_id in ho.batch_ids():
        if any(not s.get("runId") for s in ho.runs_in_batch(batch_id)):
            return str(batch_id)
    raise AssertionError("the small dataset has a batch with a failed submission")


async def test_tree_equals_ground_truth(gateway: Gateway) -> None:
    batch_id = _batch_with_failed_submission(gateway)
    data = await gateway.data(TREE, batch=batch_id)
    ho = gateway.emulator.healthomics
    truth = ho.batch(batch_id)
    batch = data["batch"]
    assert batch["nativeId"] == batch_id
    assert batch["name"] == truth["name"]
    assert batch["status"] == truth["status"]
    assert batch["totalRuns"] == truth["totalRuns"]
    assert batch["arn"] == truth["arn"]
    assert batch["runSummary"]["completedRunCount"] == truth["runSummary"]["completedRunCount"]

    submissions = ho.runs_in_batch(batch_id)
    edges = batch["runs"]["edges"]
    assert [e["submission"]["runSettingId"] for e in edges] == [
        s["runSettingId"] for s in submissions
    ]
    assert batch["runs"]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False}
    for edge, sub in zip(edges, submissions, strict=True):
        node: dict[str, Any] | None = edge["node"]
        if not sub.get("runId"):
            assert node is None, "a failed submission has no run"
            assert edge["submission"]["submissionFailureReason"] == sub.get(
                "submissionFailureReason"
            )
            continue
        assert node is not None
        run = ho.run(sub["runId"])
        assert (node["nativeId"], node["name"], node["status"]) == (
            run["id"],
            run["name"],
            run["status"],
        )
        if run["status"] == "DELETED":
            assert node["tasks"] is None
            continue
        tasks = ho.tasks(run["id"])[:100]
        got = [t["node"] for t in node["tasks"]["edges"]]
        assert [(t["nativeId"], t["name"], t["status"], t["cpus"]) for t in got] == [
            (t["taskId"], t["name"], t["status"], t["cpus"]) for t in tasks
        ]


async def test_sources_lists_configured(gateway: Gateway) -> None:
    data = await gateway.data("{ sources { name provider region } }")
    assert data["sources"] == [
        {"name": HO_SOURCE, "provider": "HEALTHOMICS", "region": "us-east-1"},
        {"name": "tencent", "provider": "TENCENT_OMICS", "region": "ap-guangzhou"},
        {"name": "datazone", "provider": "DATAZONE", "region": "us-east-1"},
    ]
