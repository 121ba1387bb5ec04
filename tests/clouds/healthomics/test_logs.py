"""Task and run logs through the gateway: Relay walks both ways, hostile paging, excerpts, grants.

The emulator's CloudWatch Logs is read by the gateway's aiobotocore client; what a user sees is
checked against the emulator's own streams.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.graph.ids import global_id
from gateway.security.auth import hash_key
from tests.conftest import HO_SOURCE, Gateway, Upstreams, open_gateway, settings_for

LOGS = """
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $contains: String) {
  node(id: $id) {
    ... on HealthOmicsTask {
      logs(first: $first, after: $after, last: $last, before: $before, contains: $contains) {
        edges { cursor node { timestamp message } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
}
"""


def long_task(upstreams: Upstreams, status: str = "COMPLETED") -> tuple[str, str, list[str]]:
    """A settled task whose log needs several windows; its lines as the emulator holds them."""
    emu = upstreams.emulator
    for run in emu.healthomics.all_runs():
        if run["status"] != status:
            continue
        for task in emu.healthomics.tasks(run["id"]):
            events = emu.workflow_logs.events(f"run/{run['id']}/task/{task['taskId']}") or []
            if len(events) > 150:
                return run["id"], task["taskId"], [e.message for e in events]
    raise AssertionError("no long task log")


async def walk(gw: Gateway, gid: str, size: int, backward: bool = False) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(100):
        args = {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        conn = (await gw.data(LOGS, id=gid, **args))["node"]["logs"]
        lines = [e["node"]["message"] for e in conn["edges"]]
        info = conn["pageInfo"]
        if backward:
            seen = lines + seen
            if not info["hasPreviousPage"]:
                return seen
            cursor = info["startCursor"]
        else:
            seen += lines
            if not info["hasNextPage"]:
                return seen
            cursor = info["endCursor"]
    raise AssertionError("walk did not end")


@pytest.mark.parametrize("hostile", [False, True])
async def test_walks_both_ways_equal_the_stream(gateway: Gateway, hostile: bool) -> None:
    run_id, task_id, truth = long_task(gateway.upstreams)
    if hostile:
        gateway.emulator.faults.configure(
            "logs", "GetLogEvents", empty_pages=True, short_pages=True
        )
    gid = global_id("HealthOmicsTask", HO_SOURCE, f"{run_id}/{task_id}")
    assert await walk(gateway, gid, 61) == truth
    assert await walk(gateway, gid, 47, backward=True) == truth


async def test_paging_forward_costs_a_call_per_page_and_per_boundary(gateway: Gateway) -> None:
    run_id, task_id, truth = long_task(gateway.upstreams)
    gid = global_id("HealthOmicsTask", HO_SOURCE, f"{run_id}/{task_id}")
    gateway.reset_calls()
    first = (await gateway.data(LOGS, id=gid, first=50))["node"]["logs"]
    second = await gateway.data(LOGS, id=gid, first=50, after=first["pageInfo"]["endCursor"])
    lines = [e["node"]["message"] for e in second["node"]["logs"]["edges"]]
    assert lines == truth[50:100]
    # The second page re-reads its cursor's page grown to cover the window (docs/cursors.md):
    # one call, or two where the window crosses an upstream page.
    assert gateway.calls().get("logs:GetLogEvents") in (2, 3)


async def test_contains_is_a_phrase(gateway: Gateway) -> None:
    run_id, task_id, truth = long_task(gateway.upstreams)
    gid = global_id("HealthOmicsTask", HO_SOURCE, f"{run_id}/{task_id}")
    phrase = "processed chunk 1"
    conn = (await gateway.data(LOGS, id=gid, first=100, contains=phrase))["node"]["logs"]
    assert [e["node"]["message"] for e in conn["edges"]] == [m for m in truth if phrase in m]
    assert gateway.calls().get("logs:FilterLogEvents") == 1


async def test_bad_input_makes_no_upstream_call(gateway: Gateway) -> None:
    run_id, task_id, _ = long_task(gateway.upstreams)
    gid = global_id("HealthOmicsTask", HO_SOURCE, f"{run_id}/{task_id}")
    first = (await gateway.data(LOGS, id=gid, first=5))["node"]["logs"]
    other_run, other_task, _ = long_task(gateway.upstreams, "FAILED")
    other = global_id("HealthOmicsTask", HO_SOURCE, f"{other_run}/{other_task}")
    gateway.reset_calls()
    bodies = [
        await gateway.query(LOGS, id=other, first=5, after=first["pageInfo"]["endCursor"]),
        await gateway.query(LOGS, id=gid, first=5, contains='say "hi"'),
        await gateway.query(LOGS, id=gid, first=5, after="garbage"),
    ]
    for body in bodies:
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "logs:GetLogEvents" not in gateway.calls()
    assert "logs:FilterLogEvents" not in gateway.calls()


async def test_a_task_without_a_stream_has_an_empty_log(gateway: Gateway) -> None:
    emu = gateway.emulator
    # A task listed but not started yet writes nothing: its log is empty, not an error.
    for run in emu.healthomics.all_runs():
        for task in emu.healthomics.tasks(run["id"]):
            if emu.workflow_logs.events(f"run/{run['id']}/task/{task['taskId']}") is None:
                gid = global_id("HealthOmicsTask", HO_SOURCE, f"{run['id']}/{task['taskId']}")
                body = await gateway.query(LOGS, id=gid, first=5)
                assert not body.get("errors")
                assert body["data"]["node"]["logs"]["edges"] == []
                return
    raise AssertionError("every task has a log stream")


EXCERPTS = """
query($source: String!) {
  runs(source: $source, status: "FAILED", first: 20) {
    edges { node { nativeId ... on HealthOmicsRun {
      tasks(first: 10, status: "FAILED") { edges { node { nativeId errorExcerpt } } }
    } } }
  }
}
"""


async def test_every_failed_task_excerpt_names_its_error(gateway: Gateway) -> None:
    emu = gateway.emulator
    truth = {
        (r["id"], t["taskId"]): emu.workflow_logs.failure(r["id"], t["taskId"])
        for r in emu.healthomics.all_runs()
        if r["status"] == "FAILED"
        for t in emu.healthomics.tasks(r["id"], status="FAILED")
    }
    assert truth
    data = await gateway.data(EXCERPTS, source=HO_SOURCE)
    seen = {}
    for run in data["runs"]["edges"]:
        for task in run["node"]["tasks"]["edges"]:
            seen[(run["node"]["nativeId"], task["node"]["nativeId"])] = task["node"]["errorExcerpt"]
    assert seen.keys() == truth.keys()
    for key, error in truth.items():
        assert any(error in line for line in seen[key]), (key, seen[key])
    assert gateway.calls()["logs:GetLogEvents"] == len(truth)  # one tail read per failed task


RUN_LOGS = """
query($id: ID!) { node(id: $id) { ... on HealthOmicsRun {
  engineLog(first: 100) { edges { node { message } } pageInfo { hasNextPage } }
  runLog(last: 2) { edges { node { message } } }
} } }
"""


async def test_engine_and_run_logs(gateway: Gateway) -> None:
    emu = gateway.emulator
    run = next(r for r in emu.healthomics.all_runs() if r["status"] == "COMPLETED")
    data = await gateway.data(RUN_LOGS, id=global_id("HealthOmicsRun", HO_SOURCE, run["id"]))
    engine = [e.message for e in emu.workflow_logs.events(f"run/{run['id']}/engine") or []]
    own = [e.message for e in emu.workflow_logs.events(f"run/{run['id']}") or []]
    got = data["node"]
    assert [e["node"]["message"] for e in got["engineLog"]["edges"]] == engine[:100]
    assert got["engineLog"]["pageInfo"]["hasNextPage"] == (len(engine) > 100)
    assert [e["node"]["message"] for e in got["runLog"]["edges"]] == own[-2:]


KEY_LOGS = "rgw_logs-0123456789abcdefghijklmnopqrstuvwxyzABCD"
KEY_PLAIN = "rgw_plain-0123456789abcdefghijklmnopqrstuvwxyzABC"


@pytest.fixture
async def keyed(upstreams: Upstreams) -> AsyncIterator[Gateway]:
    keys = [
        {"name": "reader", "sha256": hash_key(KEY_LOGS), "sources": ["*"], "scopes": ["logs"]},
        {"name": "plain", "sha256": hash_key(KEY_PLAIN), "sources": ["*"]},
    ]
    settings = settings_for(upstreams.url, auth={"mode": "api_key", "api_keys": keys})
    upstreams.emulator.calls.clear()
    async for gw in open_gateway(upstreams, settings):
        yield gw


async def test_logs_need_the_logs_scope(keyed: Gateway) -> None:
    run_id, task_id, truth = long_task(keyed.upstreams)
    gid = global_id("HealthOmicsTask", HO_SOURCE, f"{run_id}/{task_id}")
    payload: dict[str, Any] = {"query": LOGS, "variables": {"id": gid, "first": 3}}
    plain = await keyed.client.post("/graphql", json=payload, headers={"X-API-Key": KEY_PLAIN})
    body = plain.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert body["data"]["node"]["logs"] is None
    assert "logs:GetLogEvents" not in keyed.calls()
    reader = await keyed.client.post("/graphql", json=payload, headers={"X-API-Key": KEY_LOGS})
    lines = [e["node"]["message"] for e in reader.json()["data"]["node"]["logs"]["edges"]]
    assert lines == truth[:3]


async def test_a_failing_cloudwatch_leaves_the_tree_answering(gateway: Gateway) -> None:
    gateway.emulator.faults.configure("logs", "GetLogEvents", error_rate=1.0)
    body = await gateway.query(EXCERPTS, source=HO_SOURCE)
    assert body["errors"] and {e["extensions"]["code"] for e in body["errors"]} == {
        "UPSTREAM_UNAVAILABLE"
    }
    assert all(e["path"][-1] == "errorExcerpt" for e in body["errors"])
    runs = body["data"]["runs"]["edges"]
    assert runs and all(r["node"]["tasks"]["edges"] for r in runs)
    # The run reads' breaker is not the log reads' one: runs still answer afterwards.
    again = await gateway.query(EXCERPTS, source=HO_SOURCE)
    assert again["data"]["runs"]["edges"]


async def test_a_cursor_outliving_cloudwatchs_token_is_expired(upstreams: Upstreams) -> None:
    """A cursor holds CloudWatch's token; a day later (emulator clock) upstream refuses it.
    (`upstreams` sets the emulator's credentials; this test's emulator is its own.)"""
    from gateway.emulator.app import create_emulator
    from gateway.emulator.server import LoopbackServer

    emu = create_emulator(seed=7, scale="small", quotas=False)
    with LoopbackServer(emu.app) as srv:
        private = Upstreams(srv.url, emu)
        run_id, task_id, truth = long_task(private)
        gid = global_id("HealthOmicsTask", HO_SOURCE, f"{run_id}/{task_id}")
        async for gw in open_gateway(private, settings_for(srv.url)):
            first = (await gw.data(LOGS, id=gid, first=100))["node"]["logs"]
            second = await gw.data(LOGS, id=gid, first=10, after=first["pageInfo"]["endCursor"])
            cursor = second["node"]["logs"]["pageInfo"]["endCursor"]
        emu.clock.advance(25 * 3600)
        async for gw in open_gateway(private, settings_for(srv.url)):  # a fresh cache
            body = await gw.query(LOGS, id=gid, first=10, after=cursor)
            assert [e["extensions"]["code"] for e in body["errors"]] == ["CURSOR_EXPIRED"]
            fresh = (await gw.data(LOGS, id=gid, first=3))["node"]["logs"]["edges"]
            assert [e["node"]["message"] for e in fresh] == truth[:3]


WINDOWED = """
query($id: ID!, $since: DateTime, $until: DateTime) { node(id: $id) { ... on HealthOmicsTask {
  logs(first: 100, since: $since, until: $until) { edges { node { timestamp message } } }
} } }
"""


async def test_since_and_until_bound_the_lines(gateway: Gateway) -> None:
    run_id, task_id, _ = long_task(gateway.upstreams)
    events = gateway.emulator.workflow_logs.events(f"run/{run_id}/task/{task_id}") or []
    lo, hi = events[10].timestamp, events[30].timestamp
    from datetime import UTC, datetime

    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).isoformat()

    gid = global_id("HealthOmicsTask", HO_SOURCE, f"{run_id}/{task_id}")
    got = await gateway.data(WINDOWED, id=gid, since=iso(lo), until=iso(hi))
    lines = [e["node"]["message"] for e in got["node"]["logs"]["edges"]]
    assert lines == [e.message for e in events if lo <= e.timestamp < hi]
    backwards = await gateway.query(WINDOWED, id=gid, since=iso(hi), until=iso(lo))
    assert [e["extensions"]["code"] for e in backwards["errors"]] == ["BAD_USER_INPUT"]
