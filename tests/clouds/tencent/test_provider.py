"""Tencent Cloud Omics through the gateway: batching, shared rate limits, retries and errors.

Everything runs end to end (ASGI app → official SDK client → emulator on loopback) and counts
upstream calls where they land; the error table is also checked code by code.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from gateway.clouds.tencent.states import KIND
from gateway.clouds.tencent.wire import (
    MAX_ATTEMPTS,
    http_profile,
    map_sdk_error,
    resolve_credential,
    retryable,
)
from gateway.errors import ErrorCode
from gateway.graph.ids import global_id
from gateway.ratelimit.rolling import RollingWindowRateLimiter
from tests.conftest import Gateway, Upstreams, open_gateway, settings_for

RUN_NODES = (
    """query($ids: [ID!]!) { nodes(ids: $ids) { id ... on TencentRun { runUuid status } } }"""
)


def _tencent_source(url: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "provider": "tencent-omics",
        "region": "ap-guangzhou",
        "endpoint_url": url,
        **extra,
    }


async def _gateway(up: Upstreams, **overrides: Any) -> AsyncIterator[Gateway]:
    up.emulator.faults.reset(quotas=False)
    up.emulator.calls.clear()
    async for gw in open_gateway(up, settings_for(up.url, **overrides)):
        yield gw
    up.emulator.faults.reset(quotas=False)


def _run_ids(gw: Gateway, source: str = "tencent") -> list[str]:
    return [global_id("TencentRun", source, r["RunUuid"]) for r in gw.emulator.tencent.runs()]


# -- batching: N runs → ⌈N/chunk⌉ DescribeRuns, GetRunStatus only for RunMetadata fields ---------


@pytest.mark.parametrize("chunk", [100, 50, 30])
async def test_n_runs_cost_ceil_n_over_chunk_describe_runs(
    upstreams: Upstreams, chunk: int
) -> None:
    async for gw in _gateway(upstreams, limits={"tencent_describe_chunk": chunk}):
        ids = _run_ids(gw)
        n = len(ids)
        data = await gw.data(RUN_NODES, ids=ids + ids[:5])  # repeats are loaded once
        truth = gw.emulator.tencent.runs()
        got = data["nodes"]
        assert [(g["runUuid"], g["status"]) for g in got[:n]] == [
            (r["RunUuid"], r["Status"]) for r in truth
        ]
        assert gw.calls() == {"tencent:DescribeRuns": math.ceil(n / chunk)}, (n, chunk)


async def test_getrunstatus_only_for_runmetadata_fields(gateway: Gateway) -> None:
    ids = _run_ids(gateway)[:3]
    query = """query($ids: [ID!]!) { nodes(ids: $ids) {
      ... on TencentRun { runUuid workDir output callName startTime } } }"""
    data = await gateway.data(query, ids=ids)
    tc = gateway.emulator.tencent
    for node in data["nodes"]:
        truth = tc.run_status(node["runUuid"])
        assert (node["workDir"], node["callName"]) == (truth["WorkDir"], truth["CallName"])
    assert gateway.calls() == {"tencent:DescribeRuns": 1, "tencent:GetRunStatus": 3}


async def test_unknown_run_is_null_with_not_found(gateway: Gateway) -> None:
    body = await gateway.query(
        'query($id: String!) { run(source: "tencent", id: $id) { id } }',
        id="00000000-0000-4000-8000-000000000000",
    )
    assert body["data"]["run"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


# -- one rate budget per account ------------------------------------------------------------------


async def test_sources_on_one_account_share_twenty_per_second(upstreams: Upstreams) -> None:
    """Two sources on one account: GetRunStatus arrivals never exceed 20 in any second, and the
    emulator's own 20/s quota (switched on here) never has to throttle."""
    sources = [
        _tencent_source(upstreams.url, "tc-a", account="100023456781"),
        _tencent_source(upstreams.url, "tc-b", account="100023456781"),
    ]
    async for gw in _gateway(upstreams, sources=sources):
        gw.emulator.faults.configure("tencent", "*", quota_rps=20.0)
        uuids = [r["RunUuid"] for r in gw.emulator.tencent.runs()[:25]]
        query = """query($a: [ID!]!, $b: [ID!]!) {
          a: nodes(ids: $a) { ... on TencentRun { workDir } }
          b: nodes(ids: $b) { ... on TencentRun { workDir } } }"""
        data = await gw.data(
            query,
            a=[global_id("TencentRun", "tc-a", u) for u in uuids],
            b=[global_id("TencentRun", "tc-b", u) for u in uuids],
        )
        assert all(n["workDir"] for n in data["a"] + data["b"])
        stamps = sorted(c.at for c in gw.emulator.calls.calls() if c.operation == "GetRunStatus")
        assert len(stamps) == 50, "no call was throttled and retried"
        busiest = max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)
        assert busiest <= 20, busiest


# -- retries: RequestLimitExceeded within budget, never InternalError ---------------------------


GROUP = 'query($id: String!) { batch(source: "tencent", id: $id) { nativeId } }'


async def test_request_limit_exceeded_is_retried_within_budget(gateway: Gateway) -> None:
    group = gateway.emulator.tencent.run_groups()[0]["RunGroupId"]
    gateway.emulator.faults.configure("tencent", "DescribeRunGroups", throttle_rate=1.0)
    started = time.monotonic()
    body = await gateway.query(GROUP, id=group)
    elapsed = time.monotonic() - started
    ext = body["errors"][0]["extensions"]
    assert (ext["code"], ext["upstreamCode"]) == ("THROTTLED", "RequestLimitExceeded")
    assert ext["requestId"]
    assert gateway.calls() == {"tencent:DescribeRunGroups": MAX_ATTEMPTS}
    assert elapsed < 3.0


async def test_internal_error_is_not_retried(gateway: Gateway) -> None:
    group = gateway.emulator.tencent.run_groups()[0]["RunGroupId"]
    gateway.emulator.faults.configure("tencent", "DescribeRunGroups", error_rate=1.0)
    body = await gateway.query(GROUP, id=group)
    ext = body["errors"][0]["extensions"]
    assert (ext["code"], ext["upstreamCode"]) == ("UPSTREAM_UNAVAILABLE", "InternalError")
    assert gateway.calls() == {"tencent:DescribeRunGroups": 1}


@pytest.mark.parametrize(
    ("code", "again"),
    [
        ("RequestLimitExceeded", True),
        ("RequestLimitExceeded.UinLimitExceeded", True),
        ("RequestLimitExceeded.GlobalRegionUinLimitExceeded", True),
        ("ClientNetworkError", True),
        ("ServerNetworkError", True),
        ("InternalError", False),
        ("AuthFailure.SignatureFailure", False),
        ("ResourceNotFound.RunNotExist", False),
    ],
)
async def test_retried_codes_are_the_sdk_standard_retryers(code: str, again: bool) -> None:
    assert await retryable(TencentCloudSDKException(code, "m", "req-1")) is again


async def test_transport_errors_are_retried() -> None:
    assert await retryable(httpx.ConnectError("refused")) is True
    assert await retryable(httpx.ReadTimeout("slow")) is True


# -- the error table ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "ours"),
    [
        ("AuthFailure.SignatureFailure", ErrorCode.UPSTREAM_UNAVAILABLE),
        ("AuthFailure.SecretIdNotFound", ErrorCode.UPSTREAM_UNAVAILABLE),
        ("AuthFailure.UnauthorizedOperation", ErrorCode.FORBIDDEN),
        ("InvalidParameter", ErrorCode.BAD_USER_INPUT),
        ("InvalidParameterValue", ErrorCode.BAD_USER_INPUT),
        ("InvalidParameter.Malformed", ErrorCode.BAD_USER_INPUT),
        ("MissingParameter", ErrorCode.BAD_USER_INPUT),
        ("ResourceNotFound", ErrorCode.NOT_FOUND),
        ("ResourceNotFound.RunNotExist", ErrorCode.NOT_FOUND),
        ("ResourceNotFound.EnvironmentNotExist", ErrorCode.NOT_FOUND),
        ("RequestLimitExceeded", ErrorCode.THROTTLED),
        ("RequestLimitExceeded.UinLimitExceeded", ErrorCode.THROTTLED),
        ("InternalError", ErrorCode.UPSTREAM_UNAVAILABLE),
        ("OperationDenied", ErrorCode.FORBIDDEN),
        ("UnauthorizedOperation", ErrorCode.FORBIDDEN),
        ("FailedOperation", ErrorCode.UPSTREAM_UNAVAILABLE),
        ("UnsupportedRegion", ErrorCode.UPSTREAM_UNAVAILABLE),
        ("ClientSideError", ErrorCode.UPSTREAM_UNAVAILABLE),
    ],
)
def test_every_tencent_code_maps_into_the_one_table(code: str, ours: ErrorCode) -> None:
    err = map_sdk_error(TencentCloudSDKException(code, "upstream words", "req-42"), "tc")
    assert err.code is ours
    assert err.extensions == {
        "code": ours.value,
        "source": "tc",
        "provider": "TENCENT_OMICS",
        "upstreamCode": code,
        "requestId": "req-42",
    }
    assert "upstream words" not in err.message, "upstream messages are not passed through"


def test_transport_failures_map_to_unavailable_and_timeout() -> None:
    assert map_sdk_error(httpx.ConnectError("x"), "tc").code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert map_sdk_error(httpx.ReadTimeout("x"), "tc").code is ErrorCode.UPSTREAM_TIMEOUT
    assert map_sdk_error(TimeoutError(), "tc").code is ErrorCode.UPSTREAM_TIMEOUT


async def test_wrong_credentials_are_the_gateways_problem(
    upstreams: Upstreams, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "not-the-key")
    async for gw in _gateway(upstreams):
        body = await gw.query(GROUP, id=gw.emulator.tencent.run_groups()[0]["RunGroupId"])
        ext = body["errors"][0]["extensions"]
        assert ext["code"] == "UPSTREAM_UNAVAILABLE"
        assert ext["upstreamCode"].startswith("AuthFailure.")
        assert ext["requestId"]


async def test_unknown_project_is_not_found_with_its_code(upstreams: Upstreams) -> None:
    sources = [_tencent_source(upstreams.url, "tencent", project_id="prj-does-not-exist")]
    async for gw in _gateway(upstreams, sources=sources):
        body = await gw.query('{ batches(source: "tencent", first: 5) { totalCount } }')
        ext = body["errors"][0]["extensions"]
        assert (ext["code"], ext["upstreamCode"]) == (
            "NOT_FOUND",
            "ResourceNotFound.ProjectNotExist",
        )


async def test_path_through_a_scattered_call_without_its_index_is_upstreams_bad_input(
    gateway: Gateway,
) -> None:
    tc = gateway.emulator.tencent
    run, call = next(
        (r["RunUuid"], c)
        for r in tc.runs()
        for c in tc.calls(r["RunUuid"])
        if c["RunType"] == "SubWorkflow" and c["ScatterIndex"]
    )
    gid = global_id("TencentRunCall", "tencent", f"{run}/{call['CallName']}/x")
    body = await gateway.query("query($id: ID!) { node(id: $id) { id } }", id=gid)
    ext = body["errors"][0]["extensions"]
    assert (ext["code"], ext["upstreamCode"]) == ("BAD_USER_INPUT", "InvalidParameterValue")


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('query($id: String!) { run(source: "tencent", id: $id) { id } }', {"id": "not-a-uuid"}),
        ('query($id: String!) { batch(source: "tencent", id: $id) { id } }', {"id": "rg bad!"}),
        (
            'query($s: String!) { runs(source: "tencent", status: $s, first: 3) { totalCount } }',
            {"s": "NOT A STATUS"},
        ),
        (
            'query($g: String!) { runs(source: "tencent", runGroupId: $g, first: 3) { totalCount } }',
            {"g": "rg-abc"},
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            {
                "id": global_id(
                    "TencentRunCall", "tencent", "00000000-0000-4000-8000-000000000000/a:b"
                )
            },
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            {"id": global_id("TencentRun", "tencent", "nope")},
        ),
    ],
)
async def test_bad_input_is_refused_before_any_upstream_call(
    gateway: Gateway, query: str, variables: dict[str, Any]
) -> None:
    body = await gateway.query(query, **variables)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert gateway.calls() == {}


# -- calls by node id, sub-workflow paths ---------------------------------------------------------


async def test_calls_resolve_by_node_id_at_any_depth(gateway: Gateway) -> None:
    tc = gateway.emulator.tencent
    run, sub = next(
        (r["RunUuid"], c)
        for r in tc.runs()
        for c in tc.calls(r["RunUuid"])
        if c["RunType"] == "SubWorkflow" and tc.calls(r["RunUuid"], _path(c))
    )
    below = tc.calls(run, _path(sub))[0]
    path = f"{_path(sub)}/{_segment(below)}"
    query = """query($ids: [ID!]!) { nodes(ids: $ids) {
      id ... on TencentRunCall { path name status runType runUuid } } }"""
    ids = [
        global_id("TencentRunCall", "tencent", run + _path(sub)),
        global_id("TencentRunCall", "tencent", run + path),
        global_id("TencentRunCall", "tencent", run + "/no.such.call"),
    ]
    body = await gateway.query(query, ids=ids)
    first, second, missing = body["data"]["nodes"]
    assert (first["path"], first["runType"], first["status"]) == (
        _path(sub),
        "SubWorkflow",
        sub["Status"],
    )
    assert (second["path"], second["name"], second["runUuid"]) == (path, below["CallName"], run)
    assert missing is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]


def _segment(call: dict[str, Any]) -> str:
    idx = call["ScatterIndex"]
    return f"{call['CallName']}:{idx}" if idx else str(call["CallName"])


def _path(call: dict[str, Any]) -> str:
    return "/" + _segment(call)


# -- wiring: credentials, endpoint, shutdown ------------------------------------------------------


def test_credentials_come_from_the_standard_env_with_session_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDsome")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "key")
    monkeypatch.setenv("TENCENTCLOUD_SESSION_TOKEN", "tok")
    assert resolve_credential().get_credential_info() == ("AKIDsome", "key", "tok")


def test_loopback_endpoint_becomes_an_http_profile() -> None:
    profile = http_profile("http://127.0.0.1:4010", 5.0)
    assert (profile.scheme, profile.endpoint, profile.reqTimeout) == ("http", "127.0.0.1:4010", 5.0)


async def test_one_client_per_source_closed_on_shutdown(upstreams: Upstreams) -> None:
    clients = []
    async for gw in _gateway(upstreams):
        await gw.data('{ batches(source: "tencent", first: 1) { totalCount } }')
        provider = gw.app.state.upstream.providers["tencent"]
        assert provider.kind is KIND
        clients.append(provider.wire._client.http_client)
        await gw.data('{ batches(source: "tencent", first: 2) { totalCount } }')
        assert provider.wire._client.http_client is clients[0], "one client per source"
    assert clients[0].is_closed


async def test_rolling_window_holds_a_slot_until_the_call_ends() -> None:
    """No window of `period` ever holds more than `rate` calls per key; keys are independent."""
    limiter = RollingWindowRateLimiter(period=0.2)
    ends: list[tuple[str, float]] = []

    async def call(key: str) -> None:
        async with limiter.slot(key, 5):
            await asyncio.sleep(0.01)
            ends.append((key, time.monotonic()))

    started = time.monotonic()
    await asyncio.gather(
        *(call("acct\x1fA") for _ in range(15)), *(call("acct\x1fB") for _ in range(5))
    )
    a = sorted(t for k, t in ends if k.endswith("A"))
    assert max(sum(1 for t in a if s <= t < s + 0.2) for s in a) <= 5
    assert all(t - started < 0.1 for k, t in ends if k.endswith("B")), "B has its own budget"
