"""Source scoping through every entry point: root fields, node, nodes, cursors; no existence
oracle; no upstream call for a forbidden source."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.graph.ids import global_id
from tests.security.conftest import (
    KEY_A,
    KEY_ALL,
    KEY_B,
    OTHER_SOURCE,
    Secured,
    codes,
    run_ids,
)


def forbidden_only(body: dict[str, Any]) -> list[Any]:
    assert codes(body) and set(codes(body)) == {"FORBIDDEN"}, body
    return [e["path"] for e in body["errors"]]


async def test_sources_lists_only_granted(keyed: Secured) -> None:
    assert (await keyed.query("{ sources { name } }", KEY_A))["data"]["sources"] == [
        {"name": "aws"}
    ]
    assert (await keyed.query("{ sources { name } }", KEY_B))["data"]["sources"] == [
        {"name": "aws2"}
    ]
    both = (await keyed.query("{ sources { name } }", KEY_ALL))["data"]["sources"]
    assert both == [{"name": "aws"}, {"name": "aws2"}]


@pytest.mark.parametrize(
    "field",
    [
        'batch(source: "{s}", id: "{batch}") {{ name }}',
        'batches(source: "{s}", first: 2) {{ edges {{ cursor }} }}',
        'run(source: "{s}", id: "{run}") {{ name }}',
        'runs(source: "{s}", first: 2) {{ edges {{ cursor }} }}',
    ],
)
@pytest.mark.parametrize("source", [OTHER_SOURCE, "no-such-source"])
async def test_root_fields_refuse_ungranted_sources(
    keyed: Secured, field: str, source: str
) -> None:
    ho = keyed.upstreams.emulator.healthomics
    text = field.format(s=source, batch=ho.batch_ids()[0], run=run_ids(keyed.upstreams)[0])
    body = await keyed.query(f"{{ x: {text} mine: sources {{ name }} }}", KEY_A)
    assert forbidden_only(body) == [["x"]]
    assert body["data"] == {"x": None, "mine": [{"name": "aws"}]}
    assert keyed.calls() == {}


async def test_granted_path_answers_beside_a_forbidden_one(keyed: Secured) -> None:
    batch = keyed.upstreams.emulator.healthomics.batch_ids()[0]
    body = await keyed.query(
        f'{{ ok: batch(source: "aws", id: "{batch}") {{ name }} no: batch(source: "aws2", id: "{batch}") {{ name }} }}',
        KEY_A,
    )
    assert body["data"]["ok"]["name"] and body["data"]["no"] is None
    assert forbidden_only(body) == [["no"]]
    assert keyed.calls() == {"omics:GetBatch": 1}


async def test_node_and_nodes_do_not_reveal_existence(keyed: Secured) -> None:
    real = run_ids(keyed.upstreams)[0]
    existing = global_id("HealthOmicsRun", OTHER_SOURCE, real)
    missing = global_id("HealthOmicsRun", OTHER_SOURCE, "999999999")
    unknown_source = global_id("HealthOmicsRun", "nowhere", real)
    answers = []
    for gid in (existing, missing, unknown_source):
        body = await keyed.query("query($id: ID!) { node(id: $id) { id } }", KEY_A, id=gid)
        assert body["data"] == {"node": None}
        forbidden_only(body)
        answers.append([{k: v for k, v in e.items() if k != "locations"} for e in body["errors"]])
    for answer in answers:
        assert answer[0]["message"] == answers[0][0]["message"]
    mine = global_id("HealthOmicsRun", "aws", real)
    body = await keyed.query(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", KEY_A, ids=[mine, existing, missing]
    )
    assert body["data"]["nodes"][0] == {"id": mine}
    assert body["data"]["nodes"][1:] == [None, None]
    assert forbidden_only(body) == [["nodes", 1], ["nodes", 2]]
    assert keyed.calls() == {"omics:GetRun": 1}


RUNS = "query($s: String!, $after: String) { runs(source: $s, first: 2, after: $after) { edges { cursor node { nativeId } } } }"


async def test_cursors_replayed_by_another_key(keyed: Secured) -> None:
    # KEY_ALL pages through aws2; KEY_A (aws only) cannot use that cursor anywhere.
    page = await keyed.query(RUNS, KEY_ALL, s=OTHER_SOURCE)
    cursor = page["data"]["runs"]["edges"][-1]["cursor"]
    keyed.upstreams.emulator.calls.clear()
    body = await keyed.query(RUNS, KEY_A, s=OTHER_SOURCE, after=cursor)
    assert forbidden_only(body) == [["runs"]]
    body = await keyed.query(RUNS, KEY_A, s="aws", after=cursor)
    assert codes(body) == ["BAD_USER_INPUT"]  # bound to aws2's connection
    assert keyed.calls() == {}

    # A cursor from a connection KEY_A may read works for KEY_ALL (it is bound to the
    # connection, not the key) and not for KEY_B, who may not read aws.
    mine = await keyed.query(RUNS, KEY_A, s="aws")
    cursor = mine["data"]["runs"]["edges"][-1]["cursor"]
    keyed.upstreams.emulator.calls.clear()
    assert forbidden_only(await keyed.query(RUNS, KEY_B, s="aws", after=cursor)) == [["runs"]]
    assert keyed.calls() == {}
    body = await keyed.query(RUNS, KEY_ALL, s="aws", after=cursor)
    assert not body.get("errors") and body["data"]["runs"]["edges"]


async def test_nested_paths_stay_in_their_granted_source(keyed: Secured) -> None:
    """A granted object's nested connections and references read its own source only."""
    run = run_ids(keyed.upstreams)[0]
    body = await keyed.query(
        f'{{ run(source: "aws", id: "{run}") {{ source batch {{ source }} tasks(first: 2) {{ edges {{ node {{ source }} }} }} }} }}',
        KEY_A,
    )
    assert not body.get("errors"), body
    assert body["data"]["run"]["source"] == "aws"
    assert {e["node"]["source"] for e in body["data"]["run"]["tasks"]["edges"]} <= {"aws"}


ENTITIES = """query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on HealthOmicsRun { id nativeId } } }"""


async def test_federation_entities_refuse_ungranted_sources(keyed: Secured) -> None:
    """A router asking `_entities` on a client's behalf gets the same scoping as `node`."""
    real = run_ids(keyed.upstreams)[0]
    mine = global_id("HealthOmicsRun", "aws", real)
    theirs = global_id("HealthOmicsRun", OTHER_SOURCE, real)
    missing = global_id("HealthOmicsRun", OTHER_SOURCE, "999999999")
    reps = [{"__typename": "HealthOmicsRun", "id": gid} for gid in (mine, theirs, missing)]
    keyed.upstreams.emulator.calls.clear()
    body = await keyed.query(ENTITIES, KEY_A, reps=reps)
    assert body["data"]["_entities"] == [{"id": mine, "nativeId": real}, None, None]
    assert forbidden_only(body) == [["_entities", 1], ["_entities", 2]]
    assert keyed.calls() == {"omics:GetRun": 1}
