"""A cloud is one folder: the lab cloud, defined entirely under tests/, registered through the
registry and queried through `sources`, `run`, `runs`, `node` and Relay walks both ways."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.clouds.registry import DEFAULT_CLOUDS
from gateway.config import ConfigError, load_settings
from gateway.schema import build_schema, export_sdl
from tests.clouds.lab.cloud import LAB, RUNS, lab_lists
from tests.clouds.lab.memory import MemoryProvider

CLOUDS = DEFAULT_CLOUDS.with_cloud(LAB)
SOURCES = [
    {"name": "lab1", "provider": "lab", "region": "bench-1", "runs": 23, "steps": 7},
    {"name": "lab2", "provider": "lab", "region": "bench-2", "runs": 2},
]


class Lab:
    def __init__(self, client: httpx.AsyncClient, app: Any) -> None:
        self.client = client
        self.app = app

    async def query(self, query: str, **variables: Any) -> dict[str, Any]:
        resp = await self.client.post("/graphql", json={"query": query, "variables": variables})
        body: dict[str, Any] = resp.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        body = await self.query(query, **variables)
        assert not body.get("errors"), body["errors"]
        result: dict[str, Any] = body["data"]
        return result

    def provider(self, name: str) -> MemoryProvider:
        found = self.app.state.upstream.providers[name]
        assert isinstance(found, MemoryProvider)
        return found


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    settings = load_settings(None, sources=SOURCES, cursors={"keys": ["lab-cursor-key"]})
    app = create_app(settings, clouds=CLOUDS)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            yield Lab(client, app)


async def test_sources_name_the_new_provider(lab: Lab) -> None:
    data = await lab.data("{ sources { name provider region } }")
    assert data["sources"] == [
        {"name": "lab1", "provider": "LAB", "region": "bench-1"},
        {"name": "lab2", "provider": "LAB", "region": "bench-2"},
    ]


async def test_run_node_and_steps(lab: Lab) -> None:
    q = '{ run(source: "lab1", id: "r4") { id name state provider ... on LabRun { label } tasks(first: 3) { edges { node { id name state } } pageInfo { hasNextPage } } } }'
    run = (await lab.data(q))["run"]
    assert run["name"] == "run 4" and run["state"] == "RUNNING" and run["provider"] == "LAB"
    assert run["label"] == "run 4"
    steps = run["tasks"]["edges"]
    assert [e["node"]["name"] for e in steps] == ["step 0", "step 1", "step 2"]
    assert [e["node"]["state"] for e in steps] == ["FAILED", "SUCCEEDED", "SUCCEEDED"]
    assert run["tasks"]["pageInfo"]["hasNextPage"] is True
    again = await lab.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Run { name } ... on Task { name } } }",
        ids=[run["id"], steps[1]["node"]["id"]],
    )
    assert [n["name"] for n in again["nodes"]] == ["run 4", "step 1"]


async def test_unknown_run_is_not_found_and_batches_are_refused(lab: Lab) -> None:
    body = await lab.query('{ run(source: "lab2", id: "r9") { name } }')
    assert body["data"] == {"run": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await lab.query('{ batches(source: "lab1", first: 2) { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "lab runs have no batches" in body["errors"][0]["message"]
    assert lab.provider("lab1").calls == []


async def _walk_forward(lab: Lab, sizes: list[int]) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        q = 'query($n: Int!, $a: String) { runs(source: "lab1", first: $n, after: $a) { edges { node { nativeId } } pageInfo { hasNextPage endCursor } } }'
        page = (await lab.data(q, n=sizes[len(seen) % len(sizes)], a=after))["runs"]
        seen += [e["node"]["nativeId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


async def _walk_backward(lab: Lab, sizes: list[int]) -> list[str]:
    seen: list[str] = []
    before = None
    while True:
        q = 'query($n: Int!, $b: String) { runs(source: "lab1", last: $n, before: $b) { edges { node { nativeId } } pageInfo { hasPreviousPage startCursor } } }'
        page = (await lab.data(q, n=sizes[len(seen) % len(sizes)], b=before))["runs"]
        seen = [e["node"]["nativeId"] for e in page["edges"]] + seen
        if not page["pageInfo"]["hasPreviousPage"]:
            return seen
        before = page["pageInfo"]["startCursor"]


@pytest.mark.parametrize("seed", range(4))
async def test_relay_walks_both_ways_yield_every_run_once_in_order(lab: Lab, seed: int) -> None:
    truth = [r["id"] for r in lab_lists(23, 7)[RUNS]]
    sizes = [random.Random(seed).randint(1, 9) for _ in range(5)]
    assert await _walk_forward(lab, sizes) == truth
    assert await _walk_backward(lab, sizes) == truth


async def test_the_lab_validates_its_own_source_options() -> None:
    bad = [{"name": "lab1", "provider": "lab", "region": "x", "runs": "many", "colour": "red"}]
    with pytest.raises(ConfigError) as caught:
        create_app(load_settings(None, sources=bad), clouds=CLOUDS)
    assert "sources.0.runs" in str(caught.value) and "sources.0.colour" in str(caught.value)
    with pytest.raises(ConfigError, match=r"sources\.0\.provider: unknown 'lab'"):
        create_app(load_settings(None, sources=bad))  # the default registry has no lab


def test_schemas_follow_their_registry() -> None:
    lab_sdl = build_schema(CLOUDS).as_str()
    assert "enum Provider {\n  HEALTHOMICS\n  TENCENT_OMICS\n  DATAZONE\n  LAB\n}" in lab_sdl
    assert 'type LabRun implements Run & Node @key(fields: "id", resolvable: true)' in lab_sdl
    default = export_sdl(DEFAULT_CLOUDS)
    assert "  LAB\n" not in default and "LabRun" not in default
