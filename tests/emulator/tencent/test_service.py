"""The Tencent Cloud Omics emulator, driven by the official SDK clients over loopback.

Everything goes through `omics_client` / `omics_client_async` (TC3 signing, error parsing), so the
emulator is held to what the real SDK sends and expects. Hand-made requests appear only where the
SDK cannot be made to misbehave (a stale timestamp, a body edited after signing).
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from tencentcloud.common.abstract_model import AbstractModel
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.sign import Sign
from tencentcloud.omics.v20221128 import models, omics_client, omics_client_async

from gateway.emulator.clock import SimClock
from gateway.emulator.tencent.data import TencentData
from gateway.emulator.tencent.model import RUN_STATUSES

SECRET_ID, SECRET_KEY, REGION = "AKIDEMULATOR00000000", "emulator-secret-key", "ap-guangzhou"
JSON_FIELDS = {"Input", "Output", "ErrorMessage", "Runtime"}
TIME_FIELDS = {"SubmitTime", "StartTime", "EndTime", "CreateTime", "UpdateTime"}


@pytest.fixture
def data(emulator: Any) -> TencentData:
    truth = emulator.emulator.tencent
    assert isinstance(truth, TencentData)
    return truth


def profile(emulator: Any) -> ClientProfile:
    endpoint = emulator.url.removeprefix("http://")
    return ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint))


def sync_client(
    emulator: Any, sid: str = SECRET_ID, key: str = SECRET_KEY, region: str = REGION
) -> omics_client.OmicsClient:
    return omics_client.OmicsClient(Credential(sid, key), region, profile(emulator))


def async_client(emulator: Any) -> omics_client_async.OmicsClient:
    return omics_client_async.OmicsClient(
        Credential(SECRET_ID, SECRET_KEY), REGION, profile(emulator)
    )


def wire(model: AbstractModel) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(model.to_json_string())
    out.pop("RequestId", None)
    return out


def error_of(call: Any, *args: Any) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as info:
        call(*args)
    assert info.value.requestId, "every error carries a RequestId"
    return info.value


def assert_every_field(model: Any, where: str = "") -> None:
    """Every attribute the SDK model defines was sent, with a value of a sensible type."""
    for attr, value in vars(model).items():
        name = attr.lstrip("_")
        assert value is not None, f"{where}{name} missing"
        if isinstance(value, AbstractModel):
            assert_every_field(value, f"{where}{name}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, AbstractModel):
                    assert_every_field(item, f"{where}{name}[{i}].")
        elif name in JSON_FIELDS:
            json.loads(value)
        elif name in TIME_FIELDS and value:
            assert value.endswith("+08:00") and datetime.fromisoformat(value).tzinfo is not None


# --- the four actions through the SDK -----------------------------------------------------------


def test_describe_runs_reads_every_field_and_matches_ground_truth(
    emulator: Any, data: TencentData
) -> None:
    client = sync_client(emulator)
    req = models.DescribeRunsRequest()
    req.Limit = 100
    resp = client.DescribeRuns(req)
    truth = data.runs()
    assert resp.TotalCount == len(truth) > 100
    assert len(resp.Runs) == 100
    for run in resp.Runs:
        assert_every_field(run)
    assert [wire(r) for r in resp.Runs] == truth[:100]


def test_describe_run_groups_agree_with_their_runs(emulator: Any, data: TencentData) -> None:
    client = sync_client(emulator)
    for project in data.projects():
        req = models.DescribeRunGroupsRequest()
        req.ProjectId, req.Limit = project, 100
        resp = client.DescribeRunGroups(req)
        assert [wire(g) for g in resp.RunGroups] == data.run_groups(project)
        for group in resp.RunGroups:
            assert_every_field(group)
            runs = walk_runs(client, project, group.RunGroupId)
            assert group.TotalRun == len(runs)
            counts = {c.Status: c.Count for c in group.RunStatusCounts}
            assert counts == {
                s: [r["Status"] for r in runs].count(s) for s in {r["Status"] for r in runs}
            }


def walk_runs(client: Any, project: str, group_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        req = models.DescribeRunsRequest()
        req.ProjectId, req.Limit, req.Offset = project, 100, len(out)
        flt = models.Filter()
        flt.Name, flt.Values = "RunGroupId", [group_id]
        req.Filters = [flt]
        resp = client.DescribeRuns(req)
        out.extend(wire(r) for r in resp.Runs)
        if len(out) >= resp.TotalCount:
            return out


def test_default_project_has_a_group_over_one_page(data: TencentData) -> None:
    sizes = [g["TotalRun"] for g in data.run_groups()]
    assert max(sizes) > 100 and 0 in [
        g["TotalRun"] for p in data.projects() for g in data.run_groups(p)
    ]


async def test_get_run_status_agrees_with_describe_runs(emulator: Any, data: TencentData) -> None:
    client = async_client(emulator)
    sample = data.runs()[:8]
    req = models.DescribeRunsRequest()
    flt = models.Filter()
    flt.Name, flt.Values = "RunUuid", [r["RunUuid"] for r in sample]
    req.Filters, req.Limit = [flt], 100
    listed = await client.DescribeRuns(req)
    assert listed.TotalCount == len(sample) and [wire(r) for r in listed.Runs] == sample
    for run in listed.Runs:
        sreq = models.GetRunStatusRequest()
        sreq.RunUuid = run.RunUuid
        meta = (await client.GetRunStatus(sreq)).Metadata
        assert_every_field(meta)
        assert wire(meta) == data.run_status(run.RunUuid)
        assert (meta.Status, meta.RunId, meta.RunType) == (run.Status, run.RunUuid, "Workflow")
        times = run.ExecutionTime
        assert (meta.SubmitTime, meta.StartTime, meta.EndTime) == (
            times.SubmitTime,
            times.StartTime,
            times.EndTime,
        )


async def test_get_run_calls_descends_two_sub_workflow_levels(
    emulator: Any, data: TencentData
) -> None:
    client = async_client(emulator)
    now = data.clock.now()
    uuid = next(
        r.uuid
        for r in data.run_specs()
        if r.template == "germline" and r.timeline.status(now) == "SUCCESS"
    )
    run = data.run(uuid)

    async def calls(path: str) -> list[Any]:
        req = models.GetRunCallsRequest()
        req.RunUuid, req.Path = uuid, path
        got = (await client.GetRunCalls(req)).Calls
        assert [wire(c) for c in got] == data.calls(uuid, path)
        for c in got:
            assert_every_field(c)
            assert c.SubmitTime >= run["ExecutionTime"]["StartTime"]
            assert c.EndTime <= run["ExecutionTime"]["EndTime"]
        return list(got)

    top = await calls("/")
    assert {c.ParentId for c in top} == {uuid}
    scattered = [c for c in top if c.RunType == "SubWorkflow" and c.ScatterIndex]
    assert scattered, "a scattered sub-workflow exists"
    shard = await calls(f"/{scattered[0].CallName}:{scattered[0].ScatterIndex}")
    assert shard and {c.ParentId for c in shard} == {scattered[0].RunId}
    level1 = next(c for c in top if c.RunType == "SubWorkflow" and not c.ScatterIndex)
    first = await calls(f"/{level1.CallName}")
    level2 = next(c for c in first if c.RunType == "SubWorkflow")
    second = await calls(f"/{level1.CallName}/{level2.CallName}")
    assert second and all(c.RunType == "Task" for c in second)
    assert {c.ParentId for c in second} == {level2.RunId}
    assert any(c.ScatterIndex for c in second), "scattered tasks two levels down"
    task = second[0]
    segment = f"{task.CallName}:{task.ScatterIndex}" if task.ScatterIndex else task.CallName
    assert await calls(f"/{level1.CallName}/{level2.CallName}/{segment}") == []


def test_every_status_and_shape_present_at_small() -> None:
    fresh = TencentData(0, "small", SimClock())
    statuses = {r["Status"] for p in fresh.projects() for r in fresh.runs(p)}
    assert statuses == set(RUN_STATUSES)
    assert len(fresh.projects()) >= 3 and len(fresh.runs()) > 100
    assert TencentData(0, "small", SimClock()).runs() == fresh.runs()
    started = time.perf_counter()
    demo = TencentData(0, "demo", SimClock())
    assert time.perf_counter() - started < 1.0 and demo.dataset_summary()


# --- authentication ------------------------------------------------------------------------------


def test_wrong_secret_key_is_signature_failure(emulator: Any) -> None:
    client = sync_client(emulator, key="not-the-key")
    err = error_of(client.DescribeRunGroups, models.DescribeRunGroupsRequest())
    assert err.code == "AuthFailure.SignatureFailure"


def test_unknown_secret_id(emulator: Any) -> None:
    client = sync_client(emulator, sid="AKIDNOBODY0000000000")
    err = error_of(client.DescribeRunGroups, models.DescribeRunGroupsRequest())
    assert err.code == "AuthFailure.SecretIdNotFound"


def signed_post(
    emulator: Any, action: str, body: bytes, timestamp: int, key: str = SECRET_KEY
) -> dict[str, Any]:
    """A request signed by hand exactly as the SDK signs (with the SDK's Sign.sign_tc3)."""
    host = emulator.url.removeprefix("http://")
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            f"{date}/omics/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    signature = Sign.sign_tc3(key, date, "omics", to_sign)
    headers = {
        "Authorization": f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{date}/omics/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}",
        "Content-Type": "application/json",
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": "2022-11-28",
        "X-TC-Region": REGION,
    }
    return {"headers": headers, "content": body}


def post(emulator: Any, request: dict[str, Any]) -> dict[str, Any]:
    resp = httpx.post(emulator.url + "/", **request)
    assert resp.status_code == 200
    out: dict[str, Any] = resp.json()["Response"]
    assert out["RequestId"]
    return out


def test_hand_signed_request_passes_and_stale_timestamp_expires(emulator: Any) -> None:
    now = int(time.time())
    ok = post(emulator, signed_post(emulator, "DescribeRunGroups", b"{}", now))
    assert "Error" not in ok and ok["TotalCount"] >= 1
    stale = post(emulator, signed_post(emulator, "DescribeRunGroups", b"{}", now - 301))
    assert stale["Error"]["Code"] == "AuthFailure.SignatureExpire"
    future = post(emulator, signed_post(emulator, "DescribeRunGroups", b"{}", now + 400))
    assert future["Error"]["Code"] == "AuthFailure.SignatureExpire"


def test_body_edited_after_signing_and_missing_authorization(emulator: Any) -> None:
    request = signed_post(emulator, "DescribeRuns", b'{"Limit": 1}', int(time.time()))
    request["content"] = b'{"Limit": 100}'
    assert post(emulator, request)["Error"]["Code"] == "AuthFailure.SignatureFailure"
    del request["headers"]["Authorization"]
    assert post(emulator, request)["Error"]["Code"] == "AuthFailure.InvalidAuthorization"


def test_unknown_action_and_version(emulator: Any) -> None:
    client = sync_client(emulator)
    assert error_of(client.call_json, "DescribeNothing", {}).code == "InvalidAction"
    client._apiVersion = "2020-01-01"
    err = error_of(client.DescribeRuns, models.DescribeRunsRequest())
    assert err.code == "NoSuchVersion"


def test_regions(emulator: Any, data: TencentData) -> None:
    empty = sync_client(emulator, region="ap-shanghai")
    assert empty.call_json("DescribeRuns", {})["Response"]["TotalCount"] == 0
    run_uuid = data.runs()[0]["RunUuid"]
    assert error_of(empty.call_json, "GetRunStatus", {"RunUuid": run_uuid}).code == (
        "ResourceNotFound.RunNotExist"
    )
    elsewhere = sync_client(emulator, region="ap-atlantis")
    assert error_of(elsewhere.call_json, "DescribeRuns", {}).code == "UnsupportedRegion"
