"""`batch(id:)` starts its selected `runs` page beside GetBatch: the two calls are in flight
together, the answer and the number of calls are those of the field-by-field read, and a bad
argument is still refused by the field with its code."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.clouds.healthomics.states import STATES
from tests.conftest import Gateway, Upstreams, open_gateway, settings_for
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


async def test_a_page_read_ahead_is_kept_as_long_as_its_batch_says(upstreams: Upstreams) -> None:
    """The runs page usually answers before GetBatch: it waits for the batch's state before it
    is kept, so a settled batch's page stays cached (a live one's only briefly), whichever
    read answered first."""
    ho = upstreams.emulator.healthomics
    by_state = {STATES.batch_settled(ho.batch(b)["status"]): b for b in ho.batch_ids()}
    assert set(by_state) == {True, False}, "the emulator has settled and live batches"
    upstreams.emulator.faults.reset(quotas=False)
    upstreams.emulator.faults.configure("omics", "GetBatch", latency_ms=200)
    settings = settings_for(upstreams.url, cache={"page_ttl_seconds": 0.05})
    try:
        async for gw in open_gateway(upstreams, settings):
            for settled, batch in sorted(by_state.items()):
                gw.reset_calls()
                await gw.data(TREE, batch=batch, first=3)
                assert gw.calls() == {"omics:GetBatch": 1, "omics:ListRunsInBatch": 1}
                gw.reset_calls()
                await asyncio.sleep(0.3)  # past the live page's time to live
                await gw.data(TREE, batch=batch, first=3)
                relisted = gw.calls().get("omics:ListRunsInBatch", 0)
                assert relisted == (0 if settled else 1), (settled, gw.calls())
    finally:
        upstreams.emulator.faults.reset(quotas=False)
