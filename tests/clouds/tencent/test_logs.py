"""Tencent call logs and engine logs through the gateway (official SDK to the emulator)."""

from __future__ import annotations

from typing import Any

from gateway.clouds.tencent.logs import allowed_url
from gateway.config import SourceConfig
from gateway.emulator.tencent.run_logs import RunLogs
from gateway.graph.ids import global_id
from tests.conftest import TC_SOURCE, Gateway
from tests.emulator.tencent.test_run_logs import failed_task

CALL = """
query($id: ID!, $after: String) { node(id: $id) { ... on TencentRunCall {
  errorExcerpt
  stdoutLog(first: 5, after: $after) { edges { node { message } } pageInfo { hasNextPage endCursor } }
  stderrLog(last: 1) { edges { node { message } } }
} } }
"""


async def test_call_logs_page_and_excerpt(gateway: Gateway) -> None:
    served: Any = gateway.upstreams  # `url` + `emulator`, as the emulator tests take
    run, path, call = failed_task(served)
    own = f"{path.rstrip('/')}/{call['CallName']}" + (
        f":{call['ScatterIndex']}" if call["ScatterIndex"] else ""
    )
    logs = RunLogs(gateway.emulator.tencent, gateway.emulator.clock, b"")
    stdout = logs.job_log(call, "stdout").splitlines()
    gid = global_id("TencentRunCall", TC_SOURCE, f"{run}{own}")
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        node = (await gateway.data(CALL, id=gid, after=cursor))["node"]
        seen += [e["node"]["message"] for e in node["stdoutLog"]["edges"]]
        if not node["stdoutLog"]["pageInfo"]["hasNextPage"]:
            break
        cursor = node["stdoutLog"]["pageInfo"]["endCursor"]
    assert seen == stdout
    assert any(RunLogs.failure(call) in line for line in node["errorExcerpt"])
    assert [e["node"]["message"] for e in node["stderrLog"]["edges"]] == [
        f"ERROR {RunLogs.failure(call)}"
    ]
    # One GetRunJobLog per log kind, however many pages were read.
    assert gateway.calls()["tencent:GetRunJobLog"] == 2


ENGINE = """
query($id: ID!) { node(id: $id) { ... on TencentRun {
  engineLog(first: 100) { edges { node { message } } pageInfo { hasNextPage } }
} } }
"""


async def test_engine_log_is_fetched_not_handed_out(gateway: Gateway) -> None:
    emu = gateway.emulator
    run = emu.tencent.runs(status="SUCCESS")[0]["RunUuid"]
    body = await gateway.query(ENGINE, id=global_id("TencentRun", TC_SOURCE, run))
    lines = [e["node"]["message"] for e in body["data"]["node"]["engineLog"]["edges"]]
    truth = RunLogs(emu.tencent, emu.clock, b"").engine_log(run, None).splitlines()
    assert lines == truth[:100]
    assert "q-signature" not in str(body) and "_cos" not in str(body)
    assert gateway.calls()["tencent:GetRunMetadataFile"] == 1


def test_signed_urls_only_from_the_regions_cos_or_the_endpoint() -> None:
    cfg = SourceConfig(name="t", provider="tencent-omics", region="ap-guangzhou")
    assert allowed_url("https://b-1.cos.ap-guangzhou.myqcloud.com/x?sign=1", cfg)
    assert not allowed_url("http://b-1.cos.ap-guangzhou.myqcloud.com/x", cfg)
    assert not allowed_url("https://b-1.cos.ap-beijing.myqcloud.com/x", cfg)
    assert not allowed_url("https://evil.example/x.cos.ap-guangzhou.myqcloud.com", cfg)
    assert not allowed_url("http://169.254.169.254/latest/meta-data", cfg)
    local = SourceConfig(
        name="t", provider="tencent-omics", region="ap-guangzhou", endpoint_url="http://127.0.0.1:9"
    )
    assert allowed_url("http://127.0.0.1:9/_cos/a", local)
    assert not allowed_url("http://127.0.0.1:10/_cos/a", local)


async def test_tencent_runs_have_no_cost_and_say_why(gateway: Gateway) -> None:
    run = gateway.emulator.tencent.runs(status="SUCCESS")[0]["RunUuid"]
    query = """query($id: ID!) { node(id: $id) { ... on TencentRun {
      cost { totalUsd complete reason } } }
      __type(name: "TencentRun") { fields { name description } } }"""
    data = await gateway.data(query, id=global_id("TencentRun", TC_SOURCE, run))
    assert data["node"]["cost"] is None
    [field] = [f for f in data["__type"]["fields"] if f["name"] == "cost"]
    assert "publishes no usage or cost" in field["description"]
