"""Real clients against a live gateway: `graphql-sse` for SSE, `meros` for multipart/mixed and
Apollo Client 4 with `GraphQL17Alpha9Handler` for `@defer`/`@stream` (graphql-js 17 frames).

The npm packages are pinned in tests/live/js (package-lock.json; `scripts/test.sh` runs
`npm ci`).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id
from tests.conftest import HO_SOURCE, settings_for
from tests.live.frames import merge
from tests.live.test_incremental import strip_cursors
from tests.security.conftest import API_KEYS, KEY_A, two_sources

JS = Path(__file__).resolve().parent / "js"
TREE = """query Tree($b: String!) { batch(source: "aws", id: $b) { name status
  runs(first: 5) { totalCount pageInfo { hasNextPage endCursor }
    edges %s { cursor node { id nativeId name ... %s { status tasks(first: 5) {
      pageInfo { hasNextPage } edges { node { id name status } } } } } } } } }"""
PLAIN, STREAMED = TREE % ("", ""), TREE % ("@stream(initialCount: 1)", "@defer")


@dataclass
class Live:
    emulator: Emulator
    url: str


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    assert (JS / "node_modules" / "graphql-sse").is_dir(), (
        "npm packages missing: run `npm ci` in tests/live/js (scripts/test.sh does)"
    )
    os.environ["AWS_ACCESS_KEY_ID"] = DEMO_ACCESS_KEY_ID
    os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_SECRET_ACCESS_KEY
    emulator = create_emulator(seed=7, scale="small", quotas=False)
    with LoopbackServer(emulator.app) as upstream:
        settings = settings_for(
            upstream.url,
            sources=two_sources(upstream.url),
            auth={"mode": "api_key", "api_keys": API_KEYS},
            graphql={"incremental": True, "introspection": True},
            subscriptions={"poll_interval_seconds": 0.05, "max_interval_seconds": 0.2},
        )
        with LoopbackServer(create_app(settings)) as gateway:
            yield Live(emulator, gateway.url + "/graphql")


def node(client: str, url: str, query: str, **variables: Any) -> dict[str, Any]:
    spec = {
        "client": client,
        "url": url,
        "query": query,
        "variables": variables,
        "headers": {"x-api-key": KEY_A},
    }
    out = subprocess.run(
        ["node", "clients.mjs", json.dumps(spec)],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def plain(live: Live, batch: str) -> dict[str, Any]:
    body = httpx.post(
        live.url,
        json={"query": PLAIN, "variables": {"b": batch}},
        headers={"x-api-key": KEY_A},
        timeout=30,
    ).json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def busy_batch(live: Live) -> str:
    ho = live.emulator.healthomics
    return str(
        max(
            ho.batch_ids(),
            key=lambda b: sum(r["status"] == "COMPLETED" for r in ho.runs(batch_id=b)),
        )
    )


def without_typenames(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: without_typenames(v) for k, v in tree.items() if k != "__typename"}
    if isinstance(tree, list):
        return [without_typenames(v) for v in tree]
    return tree


def test_meros_reads_the_multipart_parts(live: Live) -> None:
    batch = busy_batch(live)
    out = node("meros", live.url, STREAMED, b=batch)
    assert out["status"] == 200 and out["contentType"].startswith("multipart/mixed")
    parts = out["parts"]
    # The streamed runs may arrive in one coalesced part or several, as they are ready.
    assert len(parts) >= 2 and parts[0]["hasNext"] is True and parts[-1]["hasNext"] is False
    merged = merge(parts)
    assert merged["errors"] == []
    assert strip_cursors(merged["data"]) == strip_cursors(plain(live, batch))


def test_apollo_client_assembles_deferred_and_streamed_parts(live: Live) -> None:
    batch = busy_batch(live)
    seen = node("apollo", live.url, STREAMED, b=batch)["seen"]
    states = [s["dataState"] for s in seen]
    assert "streaming" in states, states  # the first run was on screen before the rest
    final = seen[-1]
    assert final["dataState"] == "complete" and final["error"] is None
    assert strip_cursors(without_typenames(final["data"])) == strip_cursors(plain(live, batch))


def test_graphql_sse_client_queries_and_subscribes_with_header_auth(live: Live) -> None:
    ho = live.emulator.healthomics
    done = next(r["id"] for r in ho.all_runs() if r["status"] == "COMPLETED")
    sub = "subscription($id: ID!) { runUpdated(id: $id) { nativeId status } }"
    out = node("sse", live.url, sub, id=global_id("HealthOmicsRun", HO_SOURCE, done))
    assert "error" not in out, out
    assert out["results"] == [{"data": {"runUpdated": {"nativeId": done, "status": "COMPLETED"}}}]
    query = node("sse", live.url, "{ sources { name } }")
    assert query["results"] == [{"data": {"sources": [{"name": HO_SOURCE}]}}]
    # A source the key is not granted: refused on the path, no upstream data.
    other = global_id("HealthOmicsRun", "aws2", done)
    denied = node("sse", live.url, sub, id=other)["results"]
    assert [e["extensions"]["code"] for e in denied[0]["errors"]] == ["FORBIDDEN"]
