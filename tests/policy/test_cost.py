"""The cost estimate is an upper bound no query can get around.

`_entities` and `nodes` are estimated from the representations/ids they will really fetch,
after variable and default-value coercion, and refused before any upstream call. A property
test generates queries over the whole schema (fields, aliases, inline and named fragments,
variables provided or left to their defaults) and checks, against a well-behaved upstream (full
pages, no retries, no cache), that the upstream calls made never exceed the estimate.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    parse,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.app import create_app
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id
from gateway.policy.cost import estimate
from tests.conftest import (
    DZ_SOURCE,
    HO_SOURCE,
    TC_SOURCE,
    Gateway,
    Upstreams,
    datazone_domain,
    open_gateway,
    settings_for,
)

WALK_PAGES = 50
NO_CACHE = {"cache-control": "no-cache"}


@pytest.fixture
async def guarded(upstreams: Upstreams) -> AsyncIterator[Gateway]:
    """A gateway with a 120-call budget (the issue's example)."""
    upstreams.emulator.faults.reset(quotas=False)
    upstreams.emulator.calls.clear()
    cfg = settings_for(upstreams.url, graphql={"introspection": True, "max_upstream_calls": 120})
    async for gw in open_gateway(upstreams, cfg):
        yield gw


def _run_gids(upstreams: Upstreams, n: int) -> list[str]:
    """`n` run ids, repeating when the dataset holds fewer (each still counts: no dedup is
    assumed by the estimate)."""
    runs = upstreams.emulator.healthomics.all_runs()
    return [
        global_id("HealthOmicsRun", HO_SOURCE, str(runs[i % len(runs)]["id"])) for i in range(n)
    ]


def _refused_without_calls(gw: Gateway, body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY", error
    assert gw.calls() == {}, "refused before any upstream call"
    estimate_: dict[str, Any] = error["extensions"]["estimate"]
    return estimate_


async def test_entities_count_one_call_per_representation(guarded: Gateway) -> None:
    reps = [{"__typename": "HealthOmicsRun", "id": g} for g in _run_gids(guarded.upstreams, 200)]
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on HealthOmicsRun { nativeId } } }"
    got = _refused_without_calls(guarded, await guarded.query(query, r=reps))
    assert got["upstreamCalls"] == 200
    # Under the budget the same query runs, and makes no more calls than estimated.
    few = reps[:5]
    body = await guarded.query(query, r=few)
    assert not body.get("errors") and len(body["data"]["_entities"]) == 5, body
    assert sum(guarded.calls().values()) <= 5


async def test_a_default_value_counts_like_a_given_one(guarded: Gateway) -> None:
    ids = json.dumps(_run_gids(guarded.upstreams, 150))
    query = f"query($ids: [ID!]! = {ids}) {{ nodes(ids: $ids) {{ id }} }}"
    assert _refused_without_calls(guarded, await guarded.query(query))["upstreamCalls"] == 150
    reps = json.dumps(
        [{"__typename": "HealthOmicsRun", "id": g} for g in _run_gids(guarded.upstreams, 130)]
    )
    literal = reps.replace('"__typename"', "__typename").replace('"id"', "id")
    query = f"query($r: [_Any!]! = {literal}) {{ _entities(representations: $r) {{ __typename }} }}"
    assert _refused_without_calls(guarded, await guarded.query(query))["upstreamCalls"] == 130


async def test_a_single_id_for_a_list_counts_one(guarded: Gateway) -> None:
    (gid,) = _run_gids(guarded.upstreams, 1)
    body = await guarded.query("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=gid)
    assert not body.get("errors"), body
    assert sum(guarded.calls().values()) == 1


# -- the property: over the whole schema, calls made ≤ estimate ---------------------------------


@dataclass
class Pools:
    """Real ids from the emulator, per (root field, source), and global ids for node/nodes."""

    native: dict[tuple[str, str], list[str]]
    gids: list[tuple[str, str]]


def _pools(upstreams: Upstreams) -> Pools:
    emu = upstreams.emulator
    ho, tc, dz = emu.healthomics, emu.tencent, emu.datazone
    domain = datazone_domain(upstreams.url)
    ho_runs = [str(r["id"]) for r in ho.all_runs()[:5]]
    tc_runs = [r["RunUuid"] for r in tc.runs()[:5]]
    tc_groups = [g["RunGroupId"] for g in tc.run_groups()[:3]]
    dz_jobs = dz.jobs(domain)[:3]
    dz_runs = [r["runId"] for j in dz_jobs for r in dz.job_runs(domain, j)][:3]
    run_with_tasks = next(r for r in ho_runs if ho.tasks(r))
    task = ho.tasks(run_with_tasks)[0]["taskId"]
    gids = (
        [("HealthOmicsRun", global_id("HealthOmicsRun", HO_SOURCE, r)) for r in ho_runs]
        + [
            ("HealthOmicsBatch", global_id("HealthOmicsBatch", HO_SOURCE, b))
            for b in ho.batch_ids()[:2]
        ]
        + [("HealthOmicsTask", global_id("HealthOmicsTask", HO_SOURCE, f"{run_with_tasks}/{task}"))]
        + [("TencentRun", global_id("TencentRun", TC_SOURCE, r)) for r in tc_runs]
        + [("TencentRunGroup", global_id("TencentRunGroup", TC_SOURCE, g)) for g in tc_groups]
        + [("DataZoneJob", global_id("DataZoneJob", DZ_SOURCE, j)) for j in dz_jobs]
        + [("DataZoneJobRun", global_id("DataZoneJobRun", DZ_SOURCE, r)) for r in dz_runs]
    )
    return Pools(
        native={
            ("batch", HO_SOURCE): ho.batch_ids()[:3],
            ("batch", TC_SOURCE): tc_groups,
            ("run", HO_SOURCE): ho_runs,
            ("run", TC_SOURCE): tc_runs,
            ("dataZoneJob", DZ_SOURCE): dz_jobs,
        },
        gids=gids,
    )


@dataclass
class Doc:
    """A document under construction: its variables (declared, given) and named fragments."""

    draw: Any
    schema: GraphQLSchema
    pools: Pools
    declared: list[str] = field(default_factory=list)
    given: dict[str, Any] = field(default_factory=dict)
    fragments: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (type, body)

    def value(self, gql_type: str, python: Any, literal: str) -> str:
        """An argument as a literal, a given variable, or a variable left to its default."""
        how = self.draw(st.sampled_from(["literal", "given", "default"]))
        if how == "literal":
            return literal
        name = f"v{len(self.declared)}"
        if how == "given":
            self.declared.append(f"${name}: {gql_type}")
            self.given[name] = python
        else:
            self.declared.append(f"${name}: {gql_type} = {literal}")
        return f"${name}"


def _literal(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return json.dumps(value)


def _args(doc: Doc, name: str, gql_field: GraphQLField) -> str | None:
    """Arguments for one field, or None when its required ones cannot be filled."""
    draw, out = doc.draw, []
    source: str | None = None
    if "source" in gql_field.args:
        choices = sorted(s for (f, s) in doc.pools.native if f == name) or [
            HO_SOURCE,
            TC_SOURCE,
            DZ_SOURCE,
        ]
        source = draw(st.sampled_from(choices))
        out.append(f'source: "{source}"')
    for arg_name, arg in gql_field.args.items():
        if arg_name == "source":
            continue
        if arg_name == "id" and source is not None:
            ids = doc.pools.native.get((name, source))
            if not ids:
                return None
            out.append(f'id: "{draw(st.sampled_from(ids))}"')
        elif arg_name == "id":
            gid = draw(st.sampled_from(doc.pools.gids))[1]
            out.append(f"id: {doc.value('ID!', gid, json.dumps(gid))}")
        elif arg_name == "ids":
            ids = [g for _, g in draw(st.lists(st.sampled_from(doc.pools.gids), max_size=4))]
            out.append(f"ids: {doc.value('[ID!]!', ids, _literal(ids))}")
        elif arg_name == "representations":
            picked = draw(st.lists(st.sampled_from(doc.pools.gids), max_size=4))
            reps = [{"__typename": t, "id": g} for t, g in picked]
            out.append(f"representations: {doc.value('[_Any!]!', reps, _literal(reps))}")
        elif arg_name in ("first", "last"):
            continue
        elif isinstance(arg.type, GraphQLNonNull):
            return None
    if "first" in gql_field.args:
        which = draw(st.sampled_from(["first", "first", "first", "last"]))
        n = draw(st.integers(1, 3))
        out.append(f"{which}: {doc.value('Int', n, str(n))}")
    return f"({', '.join(out)})" if out else ""


def _selection(doc: Doc, parent: Any, depth: int) -> str:
    draw = doc.draw
    parts: list[str] = []
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        names = sorted(n for n in parent.fields if not n.startswith("__"))
        for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
            part = _field(doc, name, parent.fields[name], depth)
            if part:
                parts.append(part)
    if isinstance(parent, GraphQLInterfaceType | GraphQLUnionType) and depth > 0:
        possible = sorted(t.name for t in doc.schema.get_possible_types(parent))
        for type_name in draw(st.lists(st.sampled_from(possible), max_size=2, unique=True)):
            concrete = doc.schema.get_type(type_name)
            body = _selection(doc, concrete, depth - 1)
            if draw(st.booleans()):
                parts.append(f"... on {type_name} {{ {body} }}")
            else:
                name = f"F{len(doc.fragments)}"
                doc.fragments[name] = (type_name, body)
                parts.append(f"...{name}")
                if draw(st.booleans()):  # spread twice: fragments are measured once per type
                    parts.append(f"...{name}")
    return " ".join(parts) or "__typename"


def _field(doc: Doc, name: str, gql_field: GraphQLField, depth: int) -> str | None:
    named = get_named_type(gql_field.type)
    composite = isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
    if composite and depth <= 0:
        return None
    args = _args(doc, name, gql_field)
    if args is None:
        return None
    alias = f"a{doc.draw(st.integers(0, 99))}: " if doc.draw(st.booleans()) else ""
    if not composite:
        return f"{alias}{name}{args}"
    if isinstance(gql_field.type, GraphQLList) and name == "sdl":
        return None
    return f"{alias}{name}{args} {{ {_selection(doc, named, depth - 1)} }}"


@st.composite
def documents(draw: Any, schema: GraphQLSchema, pools: Pools) -> tuple[str, dict[str, Any]]:
    doc = Doc(draw, schema, pools)
    root = schema.query_type
    assert root is not None
    body = _selection(doc, root, draw(st.integers(2, 5)))
    declared = f"({', '.join(doc.declared)})" if doc.declared else ""
    fragments = " ".join(f"fragment {n} on {t} {{ {b} }}" for n, (t, b) in doc.fragments.items())
    return f"query Q{declared} {{ {body} }} {fragments}", doc.given


@dataclass
class Served:
    url: str
    schema: GraphQLSchema


@pytest.fixture(scope="module")
def served(upstreams: Upstreams) -> Iterator[Served]:
    """A gateway on loopback with no budget in the way, so every query runs and is counted."""
    cfg = settings_for(
        upstreams.url,
        graphql={
            "introspection": True,
            "max_upstream_calls": 10**9,
            "max_nodes": 10**9,
            "max_aliases": 10**6,
            "max_depth": 100,
        },
        cursors={"keys": ["k" * 20], "max_walk_pages": WALK_PAGES},
    )
    app = create_app(cfg)
    with LoopbackServer(app) as srv:
        yield Served(f"{srv.url}/graphql", app.state.graphql.schema._schema)


def test_calls_never_exceed_the_estimate(served: Served, upstreams: Upstreams) -> None:
    upstreams.emulator.faults.reset(quotas=False)
    calls = upstreams.emulator.calls
    pools = _pools(upstreams)
    made_total: list[int] = []

    with httpx.Client(timeout=60) as client:

        @settings(
            max_examples=60,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(documents(served.schema, pools))
        def generated(case: tuple[str, dict[str, Any]]) -> None:
            query, variables = case
            calls.clear()
            payload = {"query": query, "variables": variables}
            resp = client.post(served.url, json=payload, headers=NO_CACHE)
            body = resp.json()
            assert resp.status_code < 500, body
            for error in body.get("errors") or []:
                assert error["extensions"]["code"] != "INTERNAL", (query, error)
            made = sum(calls.counts().values())
            doc = parse(query)
            bound = estimate(served.schema, doc, None, variables, walk_pages=WALK_PAGES).calls
            assert made <= bound, f"{made} calls > estimate {bound}"
            made_total.append(made)

        generated()
    assert sum(made_total) > 50, "the generated queries reach upstream"
