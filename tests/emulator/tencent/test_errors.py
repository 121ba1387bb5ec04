"""Tencent emulator: validation and not-found codes, injected faults, quotas and simulated time.

All calls go through the official SDK clients over loopback (`call_json` where a request must
carry a value the typed models would never produce).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.omics.v20221128 import models, omics_client, omics_client_async

from gateway.emulator.tencent.data import TencentData

CRED = Credential("AKIDEMULATOR00000000", "emulator-secret-key")


@pytest.fixture
def data(emulator: Any) -> TencentData:
    truth = emulator.emulator.tencent
    assert isinstance(truth, TencentData)
    return truth


def profile(emulator: Any) -> ClientProfile:
    endpoint = emulator.url.removeprefix("http://")
    return ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint))


@pytest.fixture
def client(emulator: Any) -> omics_client.OmicsClient:
    return omics_client.OmicsClient(CRED, "ap-guangzhou", profile(emulator))


def code_of(client: Any, action: str, params: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(TencentCloudSDKException) as info:
        client.call_json(action, params)
    return info.value.code, info.value.message


def a_run(data: TencentData) -> str:
    return data.runs()[0]["RunUuid"]


# --- validation -------------------------------------------------------------------------------

BAD_LISTINGS: list[tuple[dict[str, Any], str, str]] = [
    ({"Limit": 0}, "InvalidParameterValue", "Limit"),
    ({"Limit": 101}, "InvalidParameterValue", "Limit"),
    ({"Limit": "10"}, "InvalidParameter", "Limit"),
    ({"Offset": -1}, "InvalidParameterValue", "Offset"),
    ({"Offset": 1.5}, "InvalidParameter", "Offset"),
    ({"Filters": "Status"}, "InvalidParameter", "Filters"),
    ({"Filters": [{"Name": "Colour", "Values": ["x"]}]}, "InvalidParameterValue", "Filters.0.Name"),
    ({"Filters": [{"Name": "Status", "Values": []}]}, "InvalidParameterValue", "Filters.0.Values"),
    ({"Filters": [{"Name": "Status"}]}, "MissingParameter", "Filters.0.Values"),
    ({"Filters": [{"Values": ["x"]}]}, "MissingParameter", "Filters.0.Name"),
    ({"Filters": [{"Name": "Status", "Values": [1]}]}, "InvalidParameter", "Filters.0.Values"),
    ({"NextToken": "x"}, "UnknownParameter", "NextToken"),
]


@pytest.mark.parametrize("action", ["DescribeRuns", "DescribeRunGroups"])
@pytest.mark.parametrize(("params", "code", "names"), BAD_LISTINGS)
def test_listing_validation(
    client: Any, action: str, params: dict[str, Any], code: str, names: str
) -> None:
    got, message = code_of(client, action, params)
    assert got == code and names in message


def test_filter_names_differ_per_listing(client: Any) -> None:
    by_type = {"Filters": [{"Name": "Type", "Values": ["WDL"]}]}
    assert client.call_json("DescribeRunGroups", by_type)["Response"]["TotalCount"] >= 1
    assert code_of(client, "DescribeRuns", by_type)[0] == "InvalidParameterValue"


@pytest.mark.parametrize(
    ("action", "params", "code", "names"),
    [
        ("GetRunStatus", {}, "MissingParameter", "RunUuid"),
        ("GetRunStatus", {"RunUuid": 7}, "InvalidParameter", "RunUuid"),
        ("GetRunCalls", {"Path": "/"}, "MissingParameter", "RunUuid"),
        ("GetRunCalls", {"RunUuid": "RUN"}, "MissingParameter", "Path"),
        (
            "GetRunCalls",
            {"RunUuid": "RUN", "Path": "germline.align"},
            "InvalidParameterValue",
            "Path",
        ),
        ("GetRunCalls", {"RunUuid": "RUN", "Path": "//"}, "InvalidParameterValue", "Path"),
        ("GetRunCalls", {"RunUuid": "RUN", "Path": "/a/"}, "InvalidParameterValue", "Path"),
        ("GetRunCalls", {"RunUuid": "RUN", "Path": "/a:x"}, "InvalidParameterValue", "Path"),
        ("GetRunCalls", {"RunUuid": "RUN", "Path": "/a:-1"}, "InvalidParameterValue", "Path"),
    ],
)
def test_run_parameter_validation(
    client: Any, data: TencentData, action: str, params: dict[str, Any], code: str, names: str
) -> None:
    params = {k: a_run(data) if v == "RUN" else v for k, v in params.items()}
    got, message = code_of(client, action, params)
    assert got == code and names in message


def test_not_found_codes(client: Any, data: TencentData) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert (
        code_of(client, "GetRunStatus", {"RunUuid": missing})[0] == "ResourceNotFound.RunNotExist"
    )
    assert code_of(client, "GetRunCalls", {"RunUuid": missing, "Path": "/"})[0] == (
        "ResourceNotFound.RunNotExist"
    )
    for action in ("DescribeRuns", "DescribeRunGroups"):
        assert code_of(client, action, {"ProjectId": "prj-nowhere-1"})[0] == (
            "ResourceNotFound.ProjectNotExist"
        )
    # A run of another project is not in the default one, but is found in its own.
    other = data.projects()[1]
    run_uuid = data.runs(other)[0]["RunUuid"]
    assert (
        code_of(client, "GetRunStatus", {"RunUuid": run_uuid})[0] == "ResourceNotFound.RunNotExist"
    )
    got = client.call_json("GetRunStatus", {"RunUuid": run_uuid, "ProjectId": other})
    assert got["Response"]["Metadata"]["RunId"] == run_uuid
    settled = data.runs(status="SUCCESS")[0]["RunUuid"]
    code, message = code_of(client, "GetRunCalls", {"RunUuid": settled, "Path": "/no.such:3"})
    assert code == "ResourceNotFound" and "/no.such:3" in message


def test_scattered_call_needs_its_index(client: Any, data: TencentData) -> None:
    now = data.clock.now()
    run = next(
        r
        for r in data.run_specs()
        if r.template == "germline" and r.timeline.status(now) == "SUCCESS"
    )
    shard = next(
        c for c in data.calls(run.uuid) if c["RunType"] == "SubWorkflow" and c["ScatterIndex"]
    )
    code, message = code_of(
        client, "GetRunCalls", {"RunUuid": run.uuid, "Path": f"/{shard['CallName']}"}
    )
    assert code == "InvalidParameterValue" and "ScatterIndex" in message


# --- faults and quotas --------------------------------------------------------------------------


def test_injected_errors_and_throttles(emulator: Any, client: Any, data: TencentData) -> None:
    faults, calls = emulator.emulator.faults, emulator.emulator.calls
    faults.configure("tencent", "GetRunStatus", error_rate=1.0)
    assert code_of(client, "GetRunStatus", {"RunUuid": a_run(data)})[0] == "InternalError"
    faults.configure("tencent", "DescribeRuns", throttle_rate=1.0)
    assert code_of(client, "DescribeRuns", {})[0] == "RequestLimitExceeded"
    assert client.call_json("DescribeRunGroups", {})["Response"]["TotalCount"] >= 1
    counts = calls.counts()
    assert counts["tencent:GetRunStatus"] == counts["tencent:DescribeRuns"] == 1
    assert {c.status for c in calls.calls()} == {200}


async def test_quota_is_20_per_second_per_action(emulator: Any, data: TencentData) -> None:
    client = omics_client_async.OmicsClient(CRED, "ap-guangzhou", profile(emulator))

    async def one() -> str:
        try:
            await client.DescribeRunGroups(models.DescribeRunGroupsRequest())
            return "ok"
        except TencentCloudSDKException as e:
            return str(e.code)

    outcomes = await asyncio.gather(*(one() for _ in range(40)))
    assert set(outcomes) == {"ok", "RequestLimitExceeded"}
    assert 20 <= outcomes.count("ok") < 40
    req = models.GetRunStatusRequest()
    req.RunUuid = a_run(data)
    assert (await client.GetRunStatus(req)).Metadata.RunId == req.RunUuid


# --- simulated time -----------------------------------------------------------------------------


def test_running_run_moves_with_the_clock_settled_ones_do_not(
    emulator: Any, client: Any, data: TencentData
) -> None:
    clock = emulator.emulator.clock
    now = clock.now()
    running = [r for r in data.run_specs() if r.timeline.status(now) == "RUNNING"]
    if not running:
        pytest.skip("the shared clock has moved past every running run")
    run = min(running, key=lambda r: r.timeline.end)
    settled = data.runs(status="FAILED")[0]["RunUuid"]

    def snapshot() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
        status = client.call_json("GetRunStatus", {"RunUuid": run.uuid})["Response"]["Metadata"]
        flt = {"Filters": [{"Name": "RunUuid", "Values": [run.uuid, settled]}], "Limit": 100}
        listed = client.call_json("DescribeRuns", flt)["Response"]["Runs"]
        by_id = {r["RunUuid"]: r for r in listed}
        calls = client.call_json("GetRunCalls", {"RunUuid": run.uuid, "Path": "/"})["Response"]
        return status, by_id[run.uuid], calls["Calls"], by_id[settled]

    before, listed_before, calls_before, settled_before = snapshot()
    assert before["Status"] == listed_before["Status"] == "RUNNING" and before["EndTime"] == ""
    assert snapshot() == (before, listed_before, calls_before, settled_before), "frozen clock"
    clock.advance((run.timeline.end - now).total_seconds() + 1)
    after, listed_after, calls_after, settled_after = snapshot()
    assert after["Status"] == listed_after["Status"] == run.timeline.outcome
    assert after["EndTime"] and datetime.fromisoformat(after["EndTime"]) == run.timeline.end
    assert calls_after != calls_before
    assert all(c["Status"] in ("SUCCESS", "FAILED", "CANCELED") for c in calls_after)
    assert settled_after == settled_before
