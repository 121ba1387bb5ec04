"""The gateway as an Apollo Federation v2 subgraph, composed and served by Apollo's own tools.

`@apollo/composition` composes the gateway's `_service { sdl }` with a second subgraph written
for the test (tests/federation/labnotes.py, which adds `labNotes` to `HealthOmicsRun`), and
`@apollo/gateway` answers queries that need both: from the gateway's root fields into the lab
subgraph, and from the lab subgraph's references back through the gateway's `_entities`.
The npm packages are pinned in tests/federation/js (package-lock.json; `scripts/test.sh` runs
`npm ci`).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.config import Settings
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id
from gateway.security.auth import hash_key
from tests.conftest import HO_SOURCE, Upstreams, settings_for
from tests.federation.labnotes import create_labnotes_app, notes_for

JS = Path(__file__).resolve().parent / "js"
#: The router's own API key: with introspection off, only a key `[federation] router_keys`
#: names reads `_service { sdl }` (what rover and the composition here read).
ROUTER_KEY = "rgw_router-0123456789abcdefghijklmnopqrstuvwxyz"


def _router_settings(upstreams: Upstreams) -> Settings:
    keys = [{"name": "router", "sha256": hash_key(ROUTER_KEY), "sources": [HO_SOURCE]}]
    return settings_for(
        upstreams.url,
        auth={"mode": "api_key", "api_keys": keys},
        graphql={"introspection": False},
        federation={"router_keys": ["router"]},
    )


@dataclass
class Supergraph:
    url: str
    sdl: str
    upstreams: Upstreams
    pinned: list[str]

    def query(self, query: str, **variables: Any) -> dict[str, Any]:
        resp = httpx.post(self.url, json={"query": query, "variables": variables}, timeout=30)
        body: dict[str, Any] = resp.json()
        assert resp.status_code == 200, body
        return body


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise TimeoutError("the Apollo gateway did not start in time")
    return proc.stdout.readline()


@pytest.fixture(scope="module")
def supergraph(upstreams: Upstreams) -> Iterator[Supergraph]:
    assert (JS / "node_modules" / "@apollo" / "gateway").is_dir(), (
        "npm packages missing: run `npm ci` in tests/federation/js (scripts/test.sh does)"
    )
    upstreams.emulator.faults.reset(quotas=False)
    runs = [r["id"] for r in upstreams.emulator.healthomics.all_runs()[:5]]
    pinned = [global_id("HealthOmicsRun", HO_SOURCE, r) for r in [*runs, runs[0]]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("APOLLO_")}
    env["APOLLO_TELEMETRY_DISABLED"] = "true"
    with (
        LoopbackServer(create_app(_router_settings(upstreams))) as runs_server,
        LoopbackServer(create_labnotes_app(pinned)) as lab_server,
    ):
        subgraphs = [
            {
                "name": "runs",
                "url": f"{runs_server.url}/graphql",
                "headers": {"x-api-key": ROUTER_KEY},
            },
            {"name": "labnotes", "url": f"{lab_server.url}/"},
        ]
        proc = subprocess.Popen(
            ["node", "supergraph.mjs", json.dumps(subgraphs)],
            cwd=JS,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            started = json.loads(_read_line(proc, timeout=60))
            assert "url" in started, f"composition failed: {started}"
            yield Supergraph(started["url"], started["supergraphSdl"], upstreams, pinned)
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_composition_keeps_the_gateway_entities(supergraph: Supergraph) -> None:
    for type_name in ("HealthOmicsBatch", "HealthOmicsRun", "HealthOmicsTask"):
        assert f"type {type_name} implements" in supergraph.sdl
    assert "labNotes: String! @join__field(graph: LABNOTES)" in supergraph.sdl


JOINED = """
query Joined {
  runs(source: "aws", first: 5) {
    edges { node { id nativeId name status ... on HealthOmicsRun { workflowName labNotes } } }
  }
}
"""


def test_gateway_root_joined_with_the_lab_subgraph(supergraph: Supergraph) -> None:
    emulator = supergraph.upstreams.emulator
    emulator.calls.clear()
    body = supergraph.query(JOINED)
    assert not body.get("errors"), body
    nodes = [e["node"] for e in body["data"]["runs"]["edges"]]
    truth = emulator.healthomics.runs()[:5]
    assert [
        (n["nativeId"], n["name"], n["status"], n["workflowName"], n["labNotes"]) for n in nodes
    ] == [
        (
            t["id"],
            t["name"],
            t["status"],
            t["workflowName"],
            notes_for(global_id("HealthOmicsRun", HO_SOURCE, t["id"])),
        )
        for t in truth
    ]
    assert emulator.calls.counts() == {"omics:ListRuns": 1}


PINNED = """
query Pinned {
  pinnedRuns { id labNotes nativeId name status state workflowId }
}
"""


def test_lab_references_resolve_through_gateway_entities(supergraph: Supergraph) -> None:
    emulator = supergraph.upstreams.emulator
    emulator.calls.clear()
    body = supergraph.query(PINNED)
    assert not body.get("errors"), body
    got = body["data"]["pinnedRuns"]
    assert [r["id"] for r in got] == supergraph.pinned
    for run in got:
        truth = emulator.healthomics.run(run["nativeId"])
        assert (run["name"], run["status"], run["workflowId"]) == (
            truth["name"],
            truth["status"],
            truth["workflowId"],
        )
        assert run["labNotes"] == notes_for(run["id"])
    # Six references, five distinct runs: one GetRun per distinct run, none for the duplicate.
    distinct = len(set(supergraph.pinned))
    assert distinct == 5
    assert emulator.calls.counts().get("omics:GetRun") == distinct
