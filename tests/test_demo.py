"""`gateway serve --demo` as a newcomer meets it: a real process on loopback whose banner's
examples (one per cloud) answer, whose clock runs so the printed subscription delivers a status
change, whose cursors survive a restart, and which refuses a busy port before any banner."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx

from tests.demo_process import Demo, demo
from tests.graphql_ws import GraphQLWS

EXAMPLE = re.compile(r"^(query|subscription) (\w+) \{\n.*?^\}$", re.M | re.S)
SPEED = "60"  # the clock at 60x real time: the live run changes within ~20-40 s


def examples(out: str) -> dict[str, str]:
    return {m.group(2): m.group(0) for m in EXAMPLE.finditer(out)}


def post(running: Demo, query: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.post(running.url, json={"query": query}, timeout=60).json()
    assert "errors" not in body, body
    return body


async def _first_change(url: str, subscription: str) -> tuple[str, str]:
    async with GraphQLWS.connect(url.replace("http://", "ws://")) as ws:
        op = await ws.subscribe(subscription)
        first = await ws.receive(timeout=30)
        assert first["type"] == "next", first
        before = first["payload"]["data"]["runUpdated"]["status"]
        changed = await ws.receive(timeout=90)
        assert changed["type"] == "next", changed
        await ws.complete(op)
        return before, changed["payload"]["data"]["runUpdated"]["status"]


async def test_the_demo_lives(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "demo-state")
    with demo("--speed", SPEED, "--data-dir", data_dir) as running:
        out = running.output
        assert f"GraphiQL at {running.url}" in out, out
        # The dashboard is on in the demo (tests/ui drives it in a browser).
        dashboard = f"http://127.0.0.1:{running.port}/ui/"
        assert f"dashboard: {dashboard}" in out, out
        assert httpx.get(dashboard).status_code == 200
        assert "--no-pacing" in out and "10 times a second" in out, out
        found = examples(out)
        assert set(found) == {
            "HealthOmicsBatchTree",
            "TencentRunGroupTree",
            "DataZoneJobRuns",
            "LiveRun",
        }, out
        # The subscription waits for its change while the rest is checked.
        change = asyncio.ensure_future(_first_change(running.url, found["LiveRun"]))

        ho = (await asyncio.to_thread(post, running, found["HealthOmicsBatchTree"]))["data"]
        runs = ho["batch"]["runs"]
        assert runs["edges"] and runs["edges"][0]["node"]["tasks"]["edges"]
        tc = (await asyncio.to_thread(post, running, found["TencentRunGroupTree"]))["data"]
        calls = [
            call["node"]
            for run in tc["batch"]["runs"]["edges"]
            for call in run["node"]["tasks"]["edges"]
        ]
        assert any(c["runType"] == "SubWorkflow" and c["calls"]["edges"] for c in calls), tc
        dz = (await asyncio.to_thread(post, running, found["DataZoneJobRuns"]))["data"]
        assert dz["dataZoneJob"]["runs"]["edges"], dz

        # A second demo on the same port says so before printing any banner.
        with demo("--data-dir", data_dir, port=running.port, startup_timeout=30) as second:
            assert second.proc.wait(timeout=30) == 1
            assert "cannot listen on" in second.output and "--port" in second.output
            assert "GraphiQL" not in second.output

        before, after = await asyncio.wait_for(change, 120)
        assert before != after, (before, after)

        cursor = runs["pageInfo"]["endCursor"]
        batch_id = re.search(r'id: "([^"]+)"', found["HealthOmicsBatchTree"]).group(1)  # type: ignore[union-attr]
        page = f'{{ batch(source: "aws-demo", id: "{batch_id}") {{ runs(first: 2, after: "{cursor}") {{ edges {{ cursor }} }} }} }}'
        assert post(running, page)["data"]["batch"]["runs"]["edges"]

    # A restart keeps the cursor key: the cursor from before still pages on.
    with demo("--data-dir", data_dir) as restarted:
        assert post(restarted, page)["data"]["batch"]["runs"]["edges"]
        page_ui = httpx.get(restarted.url, headers={"Accept": "text/html"}, timeout=10)
        assert page_ui.status_code == 200 and "graphiql" in page_ui.text.lower()
    assert (Path(data_dir) / "cursor-key").stat().st_mode & 0o077 == 0
