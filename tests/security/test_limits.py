"""Limits before execution: depth, aliases, tokens, body, nodes, upstream calls — with fragment
and alias amplification — per-key quotas, CORS, and the playground/introspection/suggestions
switches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import Upstreams
from tests.security.conftest import (
    KEY_A,
    KEY_ALL,
    KEY_B,
    Recorder,
    Secured,
    codes,
    open_secured,
    run_ids,
)


def costly(body: dict[str, Any]) -> dict[str, Any]:
    assert codes(body) == ["QUERY_TOO_COSTLY"], body
    assert body.get("data") is None
    ext: dict[str, Any] = body["errors"][0]["extensions"]
    return ext


def amplified(levels: int) -> str:
    """Fragments spreading the next fragment twice: 2**levels run selections from one page."""
    frags = [
        f"fragment F{i} on HealthOmicsRun {{ a{i}: batch {{ ...B{i} }} b{i}: batch {{ ...B{i} }} }}"
        f" fragment B{i} on Batch {{ runs(first: 1) {{ edges {{ node {{ ...F{i + 1} }} }} }} }}"
        for i in range(levels)
    ]
    frags.append(f"fragment F{levels} on HealthOmicsRun {{ name }}")
    return '{ run(source: "aws", id: "1") { ...F0 } } ' + " ".join(frags)


@pytest.fixture
async def wide(upstreams: Upstreams, recorder: Recorder) -> AsyncIterator[Secured]:
    """Depth effectively unlimited, so amplification meets the other budgets."""
    async for gw in open_secured(
        upstreams, recorder, graphql={"max_depth": 10_000, "introspection": True}
    ):
        yield gw


async def test_depth_limit(keyed: Secured) -> None:
    nest = "batch { runs(first: 1) { edges { node { " * 4 + "name" + " } } } }" * 4
    ext = costly(await keyed.query(f'{{ run(source: "aws", id: "1") {{ {nest} }} }}', KEY_A))
    assert ext["estimate"]["depth"] > 15 and ext["limits"]["depth"] == 15
    assert keyed.calls() == {}


async def test_alias_limit(keyed: Secured) -> None:
    fields = " ".join(f"s{i}: sources {{ name }}" for i in range(31))
    ext = costly(await keyed.query(f"{{ {fields} }}", KEY_A))
    assert ext["estimate"]["aliases"] == 31
    fields = " ".join(f"s{i}: sources {{ name }}" for i in range(30))
    assert "errors" not in await keyed.query(f"{{ {fields} }}", KEY_A)


async def test_aliases_hidden_in_fragments_count(keyed: Secured) -> None:
    query = "{ ...A ...B } fragment A on Query { " + " ".join(
        f"a{i}: sources {{ name }}" for i in range(16)
    )
    query += (
        " } fragment B on Query { "
        + " ".join(f"b{i}: sources {{ name }}" for i in range(16))
        + " }"
    )
    assert costly(await keyed.query(query, KEY_A))["estimate"]["aliases"] == 32


async def test_fragment_amplification_is_measured_not_expanded(wide: Secured) -> None:
    # 2**40 selections if expanded; the estimator memoises per fragment, so this answers at once.
    ext = costly(await wide.query(amplified(40), KEY_A))
    assert ext["estimate"]["aliases"] > 2**40
    assert ext["estimate"]["upstreamCalls"] > 2**40
    assert wide.calls() == {}


async def test_aliases_times_connections_hit_the_call_budget(keyed: Secured) -> None:
    # Each alias alone is fine (≈ 200 calls, 10,100 nodes); 30 of them are not.
    one = 'runs(source: "aws", first: 100) { edges { node { tasks(first: 100) { edges { node { name } } } } } }'
    q = "{ " + " ".join(f"a{i}: {one}" for i in range(30)) + " }"
    ext = costly(await keyed.query(q, KEY_A))
    assert ext["estimate"]["upstreamCalls"] == 30 * (2 + 100 * 2)
    assert ext["estimate"]["nodes"] == 30 * (100 + 100 * 100)
    assert keyed.calls() == {}


async def test_node_budget_multiplies_nested_connections(keyed: Secured) -> None:
    q = '{ batches(source: "aws", first: 100) { edges { node { runs(first: 100) { edges { node { tasks(first: 100) { edges { cursor } } } } } } } } }'
    ext = costly(await keyed.query(q, KEY_A))
    assert ext["estimate"]["nodes"] == 100 + 100 * 100 + 100 * 100 * 100
    assert keyed.calls() == {}


async def test_variables_feed_the_estimate(keyed: Secured) -> None:
    q = 'query($n: Int) { batches(source: "aws", first: $n) { edges { node { runs(first: $n) { edges { node { tasks(first: $n) { edges { cursor } } } } } } } } }'
    costly(await keyed.query(q, KEY_A, n=100))
    body = await keyed.query(q, KEY_A, n=2)
    assert "errors" not in body, body


async def test_token_limit(keyed: Secured) -> None:
    q = "{ " + " ".join("sources { name }" for _ in range(1300)) + " }"
    body = await keyed.query(q, KEY_A)
    assert codes(body) == ["QUERY_TOO_COSTLY"]
    assert keyed.calls() == {}


async def test_body_limit(keyed: Secured) -> None:
    resp = await keyed.post("{ sources { name } }" + " " * 1_000_001, headers={"X-API-Key": KEY_A})
    assert resp.status_code == 413
    assert resp.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_ordinary_tree_passes(keyed: Secured) -> None:
    batch = keyed.upstreams.emulator.healthomics.batch_ids()[0]
    q = f'{{ batch(source: "aws", id: "{batch}") {{ name runs(first: 20) {{ edges {{ node {{ name tasks(first: 20) {{ edges {{ node {{ name }} }} }} }} }} }} }} }}'
    body = await keyed.query(q, KEY_A)
    assert "errors" not in body, body


async def test_per_key_query_rate(upstreams: Upstreams, recorder: Recorder) -> None:
    async for gw in open_secured(upstreams, recorder, limits={"queries_per_minute": 3}):
        for _ in range(3):
            assert "errors" not in await gw.query("{ sources { name } }", KEY_A)
        body = await gw.query("{ sources { name } }", KEY_A)
        assert codes(body) == ["THROTTLED"]
        assert body["errors"][0]["extensions"]["retryAfterSeconds"] > 0
        assert "errors" not in await gw.query("{ sources { name } }", KEY_B), (
            "other keys unaffected"
        )


async def test_per_key_cost_points(upstreams: Upstreams, recorder: Recorder) -> None:
    async for gw in open_secured(upstreams, recorder, limits={"cost_points_per_hour": 5}):
        run = run_ids(upstreams)[0]
        q = f'{{ run(source: "aws", id: "{run}") {{ name tasks(first: 5) {{ edges {{ cursor }} }} }} }}'  # 2 calls
        assert "errors" not in await gw.query(q, KEY_A)
        assert "errors" not in await gw.query(q, KEY_A)
        upstreams.emulator.calls.clear()
        assert codes(await gw.query(q, KEY_A)) == ["THROTTLED"]
        assert gw.calls() == {}
        assert "errors" not in await gw.query(q, KEY_ALL)


# -- switches ------------------------------------------------------------------------------------


async def test_defaults_hide_playground_introspection_and_suggestions(
    upstreams: Upstreams, recorder: Recorder
) -> None:
    async for gw in open_secured(upstreams, recorder, graphql={}):
        page = await gw.client.get("/graphql", headers={"accept": "text/html"})
        gw.bodies.append(page.text)
        assert page.status_code in (401, 404)
        body = await gw.query("{ __schema { types { name } } }", KEY_A)
        assert set(codes(body)) == {"BAD_USER_INPUT"}
        body = await gw.query("{ sourcez { name } }", KEY_A)
        assert codes(body) == ["BAD_USER_INPUT"]
        assert "Did you mean" not in body["errors"][0]["message"]


async def test_config_turns_them_on(upstreams: Upstreams, recorder: Recorder) -> None:
    graphql = {"playground": True, "introspection": True, "suggestions": True}
    async for gw in open_secured(upstreams, recorder, graphql=graphql):
        page = await gw.client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        body = await gw.query("{ __schema { types { name } } }", KEY_A)
        assert "errors" not in body
        body = await gw.query("{ sourcez { name } }", KEY_A)
        assert "Did you mean 'sources'?" in body["errors"][0]["message"]


async def test_cors_allow_list(upstreams: Upstreams, recorder: Recorder) -> None:
    async for gw in open_secured(
        upstreams, recorder, graphql={"cors_origins": ["https://lab.example"]}
    ):
        pre = {
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-api-key",
        }
        ok = await gw.client.options("/graphql", headers={"origin": "https://lab.example", **pre})
        assert ok.headers["access-control-allow-origin"] == "https://lab.example"
        bad = await gw.client.options("/graphql", headers={"origin": "https://evil.example", **pre})
        assert "access-control-allow-origin" not in bad.headers
        resp = await gw.client.post(
            "/graphql",
            json={"query": "{ sources { name } }"},
            headers={"origin": "https://lab.example"},
        )
        gw.bodies.append(resp.text)
        assert (
            resp.status_code == 401
            and resp.headers["access-control-allow-origin"] == "https://lab.example"
        )
