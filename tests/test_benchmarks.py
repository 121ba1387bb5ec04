"""The benchmarks' own code keeps running: the naive anchor answers the reference tree shape with
one upstream call per field it resolves (no loaders, no cache) — what it is there to show; the
raw client makes the tree's calls and the CPU decomposition sees each stage of them; the load
generator sends what it is given and counts what failed."""

from __future__ import annotations

import cProfile
import json
import time
from collections import Counter
from typing import Any

from benchmarks import decompose, load_figures, naive, wrk
from benchmarks.raw import RawClient
from gateway.emulator.server import LoopbackServer
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
    calls = {"omics:GetBatch": 3, "omics:GetRun": 10, "omics:ListRunTasks": 31}
    assert load_figures.pacing_floor(calls) == (2.1, "31 ListRunTasks at 10/s")
    # GetBatch has no documented rate in the pacing table; a second's worth of a paced one is
    # free (the bucket starts full).
    assert load_figures.pacing_floor({"omics:GetBatch": 9, "omics:ListRunTasks": 10})[0] == 0.0


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


async def test_the_raw_client_makes_the_trees_calls_and_each_stage_is_seen(
    upstreams: Upstreams,
) -> None:
    """The raw client (the CPU goal's anchor) makes the tree's minimum calls, and the
    decomposition attributes its profiled CPU to every stage of a call."""
    upstreams.emulator.faults.reset(quotas=False)
    ho = upstreams.emulator.healthomics
    batch = next(b for b in ho.batch_ids() if ho.runs_in_batch(b))
    upstreams.emulator.calls.clear()
    raw = RawClient(upstreams.url)
    profile = cProfile.Profile(time.thread_time)
    try:
        profile.enable()
        answers = await raw.tree(batch)
        profile.disable()
    finally:
        await raw.aclose()
    runs = [r["id"] for r in ho.runs(batch_id=batch)]
    assert upstreams.emulator.calls.counts() == {
        "omics:GetBatch": 1,
        "omics:ListRunsInBatch": 1,
        "omics:ListRuns": 1,
        "omics:ListRunTasks": len(runs),
    }
    assert [page["items"] for page in answers["tasks"]] == [ho.tasks(r)[:100] for r in runs]
    rows = decompose.attribute(profile)
    assert all(rows[stage] > 0 for stage in decompose.CALL_ROWS), rows
    assert rows["executor"] == 0  # no GraphQL ran


def test_profiled_frames_are_attributed_to_their_stage() -> None:
    cases = {
        ("/v/botocore/serialize.py", "serialize_to_request"): "build",
        ("/w/gateway/clouds/aws/signing.py", "sign"): "sign",
        ("~", "<built-in method _hashlib.hmac_digest>"): "sign",
        ("/v/aiohttp/client_reqrep.py", "send"): "send",
        ("/v/aiohttp/client_proto.py", "data_received"): "receive",
        ("/v/httpcore/_async/http11.py", "_receive_event"): "receive",
        ("~", "<built-in method orjson.loads>"): "parse",
        ("/w/gateway/clouds/aws/parsing.py", "_handle_structure"): "parse",
        ("/v/graphql/execution/executor.py", "execute_field"): "executor",
        ("/w/gateway/guards.py", "call"): "gateway: guards, metrics, tracing",
        ("/py/asyncio/base_events.py", "_run_once"): "rest (event loop, other)",
    }
    assert {k: decompose.classify(*k) for k in cases} == cases


def test_wrk_cycles_through_the_bodies_and_counts_what_failed() -> None:
    """The load figures' generator: every body is sent with the headers given, and an answer
    that is not 2xx counts as a failure rather than a served query."""
    seen: Counter[str] = Counter()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        sent = json.loads(body)["q"]
        seen[sent] += 1
        key = dict(scope["headers"]).get(b"x-api-key")
        status = 200 if sent != "bad" and key == b"k" else 500
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    bodies = [{"q": "a"}, {"q": "b"}, {"q": "bad"}]
    with LoopbackServer(app) as server:
        load = wrk.run(
            server.url + "/graphql", bodies, {"X-API-Key": "k"}, connections=4, seconds=1
        )
    assert set(seen) == {"a", "b", "bad"}
    # wrk counts what was answered before its deadline: up to one request per connection
    # reached the server unanswered.
    assert load.requests <= sum(seen.values()) <= load.requests + 4
    assert seen["bad"] - 4 <= load.failures <= seen["bad"]
    assert load.failures > 0 and load.requests > 30
    assert 0 < load.p50 <= load.p95 <= load.p99 <= load.max
