"""`@defer`/`@stream` over multipart/mixed and SSE: the same answer, the same upstream calls,
the same limits, errors and audit as the ordinary query; off unless configured."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import Gateway, Upstreams, open_gateway, settings_for
from tests.live.frames import merge, multipart_parts, sse_events

FRESH = {"cache-control": "no-cache"}

TREE = """query($batch: String!, $n: Int!) { batch(source: "aws", id: $batch) { name status
  runs(first: $n) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges %s { cursor submission { runSettingId } node { nativeId name status
      ... %s { tasks(first: 20) { pageInfo { hasNextPage endCursor }
        edges { cursor node { nativeId name status } } } } } } } } }"""
PLAIN = TREE % ("", "")
STREAMED = TREE % ("@stream(initialCount: 1)", '@defer(label: "tasks")')

NEXT = """query($batch: String!, $after: String!) { batch(source: "aws", id: $batch) {
  runs(first: 1, after: $after) { edges { node { nativeId } } } } }"""
TASKS_AFTER = """query($run: String!, $after: String!) { run(source: "aws", id: $run) {
  tasks(first: 1, after: $after) { edges { node { nativeId } } } } }"""


@pytest.fixture
async def streaming(upstreams: Upstreams) -> AsyncIterator[Gateway]:
    upstreams.emulator.faults.reset(quotas=False)
    upstreams.emulator.calls.clear()
    settings = settings_for(upstreams.url, graphql={"introspection": True, "incremental": True})
    async for gw in open_gateway(upstreams, settings):
        yield gw
    upstreams.emulator.faults.reset(quotas=False)


def big_batch(ups: Upstreams) -> str:
    ho = ups.emulator.healthomics
    return str(
        max(
            ho.batch_ids(), key=lambda b: sum(r["status"] != "DELETED" for r in ho.runs(batch_id=b))
        )
    )


def strip_cursors(tree: Any) -> Any:
    """Cursors are sealed with a fresh nonce per answer: compare everything else."""
    if isinstance(tree, dict):
        return {k: strip_cursors(v) for k, v in tree.items() if "ursor" not in k}
    if isinstance(tree, list):
        return [strip_cursors(v) for v in tree]
    return tree


async def post(gw: Gateway, query: str, accept: str, **variables: Any) -> Any:
    return await gw.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"accept": accept, **FRESH},
    )


@pytest.mark.parametrize("accept", ["multipart/mixed", "text/event-stream"])
async def test_streamed_tree_is_the_plain_tree_with_exact_cursors_and_no_extra_calls(
    streaming: Gateway, upstreams: Upstreams, accept: str
) -> None:
    batch = big_batch(upstreams)
    plain = await post(streaming, PLAIN, "application/json", batch=batch, n=6)
    plain_calls = streaming.calls()
    streaming.reset_calls()
    resp = await post(streaming, STREAMED, accept, batch=batch, n=6)
    assert resp.status_code == 200
    if accept == "multipart/mixed":
        assert resp.headers["content-type"].startswith("multipart/mixed")
        parts = multipart_parts(resp.text)
    else:
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = sse_events(resp.text)
        assert events[-1][0] == "complete"
        parts = [json.loads(data) for event, data in events if event == "next"]
    assert len(parts) >= 2 and parts[0]["hasNext"] is True  # ready patches may share a part
    assert len(parts[0]["data"]["batch"]["runs"]["edges"]) == 1  # the first run, at once
    merged = merge(parts)
    assert merged["errors"] == []
    assert strip_cursors(merged["data"]) == strip_cursors(plain.json()["data"])
    # Loaders batch across deferred fragments and streamed items: not one call more.
    assert streaming.calls() == plain_calls
    # Streamed cursors are exact: each one continues the connection right after its item.
    runs = merged["data"]["batch"]["runs"]
    edges = runs["edges"]
    after = (await streaming.data(NEXT, batch=batch, after=edges[2]["cursor"]))["batch"]
    assert after["runs"]["edges"][0]["node"]["nativeId"] == edges[3]["node"]["nativeId"]
    end = (await streaming.data(NEXT, batch=batch, after=runs["pageInfo"]["endCursor"]))["batch"]
    plain_next = await streaming.data(
        NEXT, batch=batch, after=plain.json()["data"]["batch"]["runs"]["pageInfo"]["endCursor"]
    )
    assert end == plain_next["batch"]
    run = next(
        e["node"]
        for e in edges
        if e["node"] and e["node"]["tasks"] and len(e["node"]["tasks"]["edges"]) > 2
    )
    tasks = run["tasks"]["edges"]
    following = await streaming.data(TASKS_AFTER, run=run["nativeId"], after=tasks[1]["cursor"])
    assert following["run"]["tasks"]["edges"][0]["node"]["nativeId"] == tasks[2]["node"]["nativeId"]


async def test_incremental_is_off_unless_configured(gateway: Gateway, upstreams: Upstreams) -> None:
    resp = await post(gateway, STREAMED, "multipart/mixed", batch=big_batch(upstreams), n=3)
    body = resp.json()
    assert body.get("data") is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}
    assert gateway.calls() == {}


async def test_bad_incremental_input_is_coded_and_calls_nothing(
    streaming: Gateway, upstreams: Upstreams
) -> None:
    batch = big_batch(upstreams)
    literal = """query($batch: String!) { batch(source: "aws", id: $batch) {
      runs(first: 3) { edges @stream(initialCount: -1) { cursor } } } }"""
    body = (await post(streaming, literal, "multipart/mixed", batch=batch)).json()
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert streaming.calls() == {}
    variable = """query($batch: String!, $n: Int!) { batch(source: "aws", id: $batch) {
      runs(first: 3) { edges @stream(initialCount: $n) { cursor } } } }"""
    body = (await post(streaming, variable, "multipart/mixed", batch=batch, n=-1)).json()
    codes = [e["extensions"]["code"] for e in body["errors"]]
    assert codes == ["BAD_USER_INPUT"], body
    assert "initialCount" in body["errors"][0]["message"]
    sub = 'subscription { runUpdated(id: "x") { ... @defer { name } } }'
    resp = await post(streaming, sub, "text/event-stream")
    assert resp.status_code == 200
    events = sse_events(resp.text)
    payload = json.loads(next(data for event, data in events if event == "next"))
    assert [e["extensions"]["code"] for e in payload["errors"]] == ["BAD_USER_INPUT"]


async def test_limits_apply_to_deferred_selections(
    streaming: Gateway, upstreams: Upstreams
) -> None:
    q = """query($batch: String!) { batch(source: "aws", id: $batch) { runs(first: 100) {
      edges @stream { node { ... @defer { tasks(first: 100) { edges { node { name
        ... on HealthOmicsTask { runId } } } } } } } } } }"""
    async with open_settings(upstreams, max_nodes=1000) as gw:
        body = (await post(gw, q, "multipart/mixed", batch=big_batch(upstreams))).json()
        assert body.get("data") is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COSTLY"]
        assert gw.calls() == {}


def open_settings(ups: Upstreams, **graphql: Any) -> Any:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def opened() -> AsyncIterator[Gateway]:
        settings = settings_for(
            ups.url, graphql={"introspection": True, "incremental": True, **graphql}
        )
        gen = open_gateway(ups, settings)
        gw = await anext(gen)
        ups.emulator.calls.clear()
        try:
            yield gw
        finally:
            await gen.aclose()

    return opened()


async def test_deferred_failures_are_typed_and_audited(
    streaming: Gateway, upstreams: Upstreams, caplog: pytest.LogCaptureFixture
) -> None:
    upstreams.emulator.faults.configure("omics", "ListRunTasks", error_rate=1.0)
    caplog.set_level(logging.INFO, logger="gateway.audit")
    resp = await post(streaming, STREAMED, "multipart/mixed", batch=big_batch(upstreams), n=3)
    merged = merge(multipart_parts(resp.text))
    runs = merged["data"]["batch"]["runs"]["edges"]
    assert [e["node"]["name"] for e in runs if e["node"]]  # the rest of the tree answers
    codes = {e["extensions"]["code"] for e in merged["errors"]}
    assert codes == {"UPSTREAM_UNAVAILABLE"}, merged["errors"]
    assert all("requestId" in e["extensions"] for e in merged["errors"])
    assert not any("Traceback" in json.dumps(e) for e in merged["errors"])
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "gateway.audit"]
    patches = [line for line in lines if line.get("incremental")]
    assert len(patches) == 1
    assert patches[0]["errorCodes"] == ["UPSTREAM_UNAVAILABLE"]
    # The deferred ListRunTasks calls are counted in the operation's budget, after the first part.
    first = next(line for line in lines if not line.get("incremental"))
    assert patches[0]["requestId"] == first["requestId"]
    assert patches[0]["upstreamCalls"] > first["upstreamCalls"]


def bursts(calls: list[Any]) -> int:
    """Groups of calls in flight together: a call arriving after every earlier one was
    answered starts a new burst (the emulator stamps arrival and answer)."""
    count, answered = 0, None
    for call in sorted(calls, key=lambda c: c.arrived):
        if answered is None or call.arrived > answered:
            count += 1
            answered = call.at
        else:
            answered = max(answered, call.at)
    return count


async def test_streamed_runs_read_their_tasks_together_in_one_burst(
    streaming: Gateway, upstreams: Upstreams
) -> None:
    # Streamed items run side by side (early execution), not one after the other: the task
    # pages of the streamed runs are one burst of ListRunTasks, as in the plain tree.
    batch = big_batch(upstreams)
    upstreams.emulator.faults.configure("omics", "ListRunTasks", latency_ms=300)
    query = TREE % ("@stream(initialCount: 0)", "")  # each item's tasks inside the item
    resp = await post(streaming, query, "multipart/mixed", batch=batch, n=6)
    merged = merge(multipart_parts(resp.text))
    assert merged["errors"] == []
    calls = [c for c in upstreams.emulator.calls.calls() if c.operation == "ListRunTasks"]
    assert len(calls) >= 3
    assert bursts(calls) == 1
