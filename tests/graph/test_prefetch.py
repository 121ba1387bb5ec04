"""`batch(id:)` starts its selected `runs` page beside GetBatch: the two calls are in flight
together, the answer and the number of calls are those of the field-by-field read, and a bad
argument is still refused by the field with its code."""

from __future__ import annotations

from typing import Any

from tests.conftest import Gateway, Upstreams
from tests.live.test_incremental import bursts

TREE = """query($batch: String!, $first: Int!) { batch(source: "aws", id: $batch) { name status
  ... on HealthOmicsBatch { runs(first: $first) { edges { submission { runSettingId } } } } } }"""
LITERAL = """query($batch: String!) { batch(source: "aws", id: $batch) { name
  runs(first: 2) { edges { submission { runSettingId } } } } }"""


def calls_of(ups: Upstreams, *operations: str) -> list[Any]:
    return [c for c in ups.emulator.calls.calls() if c.operation in operations]


async def test_the_runs_page_is_read_beside_the_batch(
    gateway: Gateway, upstreams: Upstreams
) -> None:
    batch = upstreams.emulator.healthomics.batch_ids()[0]
    upstreams.emulator.faults.configure("omics", "*", latency_ms=300)
    for query, variables in ((TREE, {"first": 3}), (LITERAL, {})):  # variables and literals
        gateway.reset_calls()
        resp = await gateway.client.post(
            "/graphql",
            json={"query": query, "variables": {"batch": batch, **variables}},
            headers={"cache-control": "no-cache"},
        )
        body = resp.json()
        assert "errors" not in body and body["data"]["batch"]["runs"]["edges"]
        assert gateway.calls() == {"omics:GetBatch": 1, "omics:ListRunsInBatch": 1}
        assert bursts(calls_of(upstreams, "GetBatch", "ListRunsInBatch")) == 1


async def test_a_bad_page_argument_is_refused_by_the_field(
    gateway: Gateway, upstreams: Upstreams
) -> None:
    batch = upstreams.emulator.healthomics.batch_ids()[0]
    body = await gateway.query(TREE, batch=batch, first=0)
    assert body["data"]["batch"]["name"]
    assert body["data"]["batch"]["runs"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert gateway.calls() == {"omics:GetBatch": 1}
