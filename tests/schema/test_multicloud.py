"""One query over three clouds: a HealthOmics batch tree, a Tencent run-group tree (with a
sub-workflow's calls) and a DataZone job's runs, side by side, equal to the emulator's truth;
and with Tencent failing, the other two still answer while Tencent's path carries a typed error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from gateway.emulator.tencent.data import TencentData
from tests.conftest import Gateway, Upstreams, open_gateway, settings_for

QUERY = """
query Three($hoBatch: String!, $tcGroup: String!, $dzJob: String!) {
  ho: batch(source: "aws", id: $hoBatch) {
    nativeId provider status totalRuns
    runs(first: 100) {
      edges {
        submission { runSettingId }
        node { nativeId status state tasks(first: 100) { edges { node { nativeId status } } } }
      }
    }
  }
  tc: batch(source: "tencent", id: $tcGroup) {
    nativeId provider name status state totalRuns createdAt
    ... on TencentRunGroup {
      totalRun runStatusCounts { status count } applicationName
      executionTime { submitTime startTime endTime }
    }
    runs(first: 100) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage }
      edges {
        submission { runId }
        node {
          nativeId status state createdAt startedAt stoppedAt
          batch { nativeId }
          ... on TencentRun { runUuid runGroupId input errorMessage option { failureMode } }
          tasks(first: 100) {
            totalCount
            edges {
              node {
                nativeId name status state
                ... on TencentRunCall {
                  path runType scatterIndex input output runtime
                  calls(first: 100) {
                    totalCount
                    edges { node { name status ... on TencentRunCall { path runType } } }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  dz: dataZoneJob(source: "datazone", id: $dzJob) {
    id jobId provider
    runs(first: 50) {
      pageInfo { hasNextPage }
      edges {
        node {
          nativeId status state createdAt startedAt stoppedAt batch { id } tasks(first: 1) { totalCount }
          ... on DataZoneJobRun { runId jobId jobType runMode createdBy error { message } }
        }
      }
    }
  }
}
"""


def _tc_group_with_subworkflow(tc: TencentData) -> str:
    """The smallest run group (≤ 100 runs) holding a run whose top level has a sub-workflow."""
    for group in sorted(tc.run_groups(), key=lambda g: g["TotalRun"]):
        if group["TotalRun"] > 100:
            continue
        for run in tc.runs(run_group_id=group["RunGroupId"]):
            if any(c["RunType"] == "SubWorkflow" for c in tc.calls(run["RunUuid"])):
                return str(group["RunGroupId"])
    raise AssertionError("the small dataset has a run group with a sub-workflow call")


def _ids(gw: Gateway) -> dict[str, str]:
    ho = gw.emulator.healthomics
    dz = gw.emulator.datazone
    domain = dz.domains()[0]
    job = next(j for j in dz.jobs(domain) if 0 < len(dz.job_runs(domain, j)) <= 50)
    return {
        "hoBatch": str(ho.batch_ids()[0]),
        "tcGroup": _tc_group_with_subworkflow(gw.emulator.tencent),
        "dzJob": job,
    }


def _segment(call: dict[str, Any]) -> str:
    idx = call["ScatterIndex"]
    return f"{call['CallName']}:{idx}" if idx else str(call["CallName"])


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _check_healthomics(gw: Gateway, got: dict[str, Any], batch_id: str) -> None:
    ho = gw.emulator.healthomics
    truth = ho.batch(batch_id)
    assert (got["nativeId"], got["status"], got["totalRuns"]) == (
        batch_id,
        truth["status"],
        truth["totalRuns"],
    )
    subs = ho.runs_in_batch(batch_id)
    assert [e["submission"]["runSettingId"] for e in got["runs"]["edges"]] == [
        s["runSettingId"] for s in subs
    ]


def _check_tencent(gw: Gateway, got: dict[str, Any], group_id: str) -> int:
    """Compare the run-group tree with the truth; returns how many sub-workflows were checked."""
    tc = gw.emulator.tencent
    truth = next(g for g in tc.run_groups() if g["RunGroupId"] == group_id)
    assert got["nativeId"] == group_id
    assert got["provider"] == "TENCENT_OMICS"
    assert (got["name"], got["status"], got["totalRuns"], got["totalRun"]) == (
        truth["Name"],
        truth["Status"],
        truth["TotalRun"],
        truth["TotalRun"],
    )
    assert got["runStatusCounts"] == [
        {"status": c["Status"], "count": c["Count"]} for c in truth["RunStatusCounts"]
    ]
    assert _time(got["createdAt"]) == _time(truth["CreateTime"])
    assert _time(got["executionTime"]["startTime"]) == _time(truth["ExecutionTime"]["StartTime"])
    runs = tc.runs(run_group_id=group_id)
    conn = got["runs"]
    assert conn["totalCount"] == len(runs)
    assert conn["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False}
    subworkflows = 0
    for edge, run in zip(conn["edges"], runs, strict=True):
        node = edge["node"]
        assert edge["submission"] is None
        assert (node["nativeId"], node["runUuid"], node["status"], node["runGroupId"]) == (
            run["RunUuid"],
            run["RunUuid"],
            run["Status"],
            group_id,
        )
        assert node["batch"] == {"nativeId": group_id}
        assert node["option"]["failureMode"] == run["Option"]["FailureMode"]
        assert _time(node["startedAt"]) == _time(run["ExecutionTime"]["StartTime"])
        calls = tc.calls(run["RunUuid"])
        tasks = node["tasks"]
        assert tasks["totalCount"] == len(calls)
        for task_edge, call in zip(tasks["edges"], calls, strict=True):
            task = task_edge["node"]
            path = "/" + _segment(call)
            assert (task["path"], task["name"], task["status"], task["runType"]) == (
                path,
                call["CallName"],
                call["Status"],
                call["RunType"],
            )
            assert task["nativeId"] == run["RunUuid"] + path
            below = tc.calls(run["RunUuid"], path) if call["RunType"] == "SubWorkflow" else []
            assert [c["node"]["path"] for c in task["calls"]["edges"]] == [
                f"{path}/{_segment(c)}" for c in below
            ]
            assert [c["node"]["status"] for c in task["calls"]["edges"]] == [
                c["Status"] for c in below
            ]
            subworkflows += call["RunType"] == "SubWorkflow"
    return subworkflows


def _check_datazone(gw: Gateway, got: dict[str, Any], job_id: str) -> None:
    dz = gw.emulator.datazone
    truth = dz.job_runs(dz.domains()[0], job_id)
    assert got["jobId"] == job_id
    assert got["provider"] == "DATAZONE"
    conn = got["runs"]
    assert conn["pageInfo"]["hasNextPage"] is False
    assert len(conn["edges"]) == len(truth)
    for edge, item in zip(conn["edges"], truth, strict=True):
        node = edge["node"]
        assert (node["nativeId"], node["runId"], node["status"], node["runMode"]) == (
            item["runId"],
            item["runId"],
            item["status"],
            item["runMode"],
        )
        assert node["error"] == (
            {"message": item["error"]["message"]} if item.get("error") else None
        )
        assert _time(node["createdAt"]) == item["createdAt"]
        assert node["batch"] is None and node["tasks"] is None


@pytest.fixture
async def roomy(upstreams: Upstreams) -> AsyncIterator[Gateway]:
    """This tree asks for every level in full (runs × calls × sub-calls: a million nodes by the
    estimate), over the default cost budget; the budgets are tested in tests/security."""
    upstreams.emulator.faults.reset(quotas=False)
    upstreams.emulator.calls.clear()
    budgets = {"max_nodes": 2_000_000, "max_upstream_calls": 50_000}
    async for gw in open_gateway(upstreams, settings_for(upstreams.url, graphql=budgets)):
        yield gw
    upstreams.emulator.faults.reset(quotas=False)


async def test_three_clouds_in_one_query_equal_ground_truth(roomy: Gateway) -> None:
    gateway = roomy
    ids = _ids(gateway)
    data = await gateway.data(QUERY, **ids)
    _check_healthomics(gateway, data["ho"], ids["hoBatch"])
    assert _check_tencent(gateway, data["tc"], ids["tcGroup"]) >= 1
    _check_datazone(gateway, data["dz"], ids["dzJob"])
    calls = gateway.calls()
    assert calls.get("tencent:GetRunStatus", 0) == 0, "no RunMetadata-only field was asked"
    assert calls.get("datazone:GetJobRun", 0) == 0, "details were not asked"


async def test_a_failing_tencent_source_leaves_the_others_intact(roomy: Gateway) -> None:
    gateway = roomy
    ids = _ids(gateway)
    gateway.emulator.faults.configure("tencent", "*", error_rate=1.0)
    body = await gateway.query(QUERY, **ids)
    data = body["data"]
    assert data["tc"] is None
    _check_healthomics(gateway, data["ho"], ids["hoBatch"])
    _check_datazone(gateway, data["dz"], ids["dzJob"])
    errors = body["errors"]
    assert [e["path"] for e in errors] == [["tc"]]
    ext = errors[0]["extensions"]
    assert ext["code"] == "UPSTREAM_UNAVAILABLE"
    assert (ext["source"], ext["provider"], ext["upstreamCode"]) == (
        "tencent",
        "TENCENT_OMICS",
        "InternalError",
    )
    assert ext["requestId"]
    assert gateway.calls()["tencent:DescribeRunGroups"] == 1, "InternalError is not retried"
