"""Every bad input and upstream failure maps to a typed error on the right path only."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.clouds.healthomics.provider import HealthOmicsProvider
from gateway.graph.ids import global_id
from tests.conftest import Gateway, Upstreams, open_gateway, settings_for


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def a_batch(gw: Gateway) -> str:
    return str(gw.emulator.healthomics.batch_ids()[0])


@pytest.mark.parametrize(
    "args",
    ["", "first: 0", "first: 101", "last: 0", "first: 2, last: 2", "last: 1000"],
)
async def test_page_arguments_are_checked_before_any_call(gateway: Gateway, args: str) -> None:
    q = f'{{ batch(source: "aws", id: "{a_batch(gateway)}") {{ name runs{"(" + args + ")" if args else ""} {{ edges {{ cursor }} }} }} }}'
    body = await gateway.query(q)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["path"] == ["batch", "runs"]
    assert body["data"]["batch"]["name"], "the rest of the tree answers"
    assert "omics:ListRunsInBatch" not in gateway.calls()


@pytest.mark.parametrize(
    "query",
    [
        '{ batch(source: "nope", id: "1") { name } }',
        '{ batch(source: "aws", id: "not-digits") { name } }',
        '{ batch(source: "aws", id: "1234567890123456789") { name } }',
        '{ run(source: "aws", id: "x1") { name } }',
        '{ runs(source: "aws", status: "SLEEPING", first: 1) { edges { cursor } } }',
        '{ node(id: "bm90LWFuLWlk") { id } }',
        '{ node(id: "%%%") { id } }',
        '{ nodes(ids: ["%%%"]) { id } }',
        "{ nosuchfield }",
    ],
)
async def test_bad_input_is_refused_without_upstream_call(gateway: Gateway, query: str) -> None:
    body = await gateway.query(query)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert gateway.calls() == {}


async def test_two_batch_filters_are_refused(gateway: Gateway) -> None:
    q = f'{{ batch(source: "aws", id: "{a_batch(gateway)}") {{ ... on HealthOmicsBatch {{ runs(first: 5, runId: "1", runSettingId: "s") {{ edges {{ cursor }} }} }} }} }}'
    body = await gateway.query(q)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert "omics:ListRunsInBatch" not in gateway.calls()


async def test_unknown_ids_are_null_with_not_found(gateway: Gateway) -> None:
    body = await gateway.query('{ batch(source: "aws", id: "999999999") { name } }')
    assert body["data"]["batch"] is None
    (error,) = body["errors"]
    assert error["path"] == ["batch"]
    ext = error["extensions"]
    assert ext["code"] == "NOT_FOUND"
    assert ext["source"] == "aws" and ext["provider"] == "HEALTHOMICS"
    assert ext["upstreamCode"] == "ResourceNotFoundException"
    assert ext["requestId"]

    gone = global_id("HealthOmicsRun", "aws", "999999999")
    body = await gateway.query("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=[gone, gone])
    assert body["data"]["nodes"] == [None, None]
    assert codes(body) == ["NOT_FOUND", "NOT_FOUND"]
    assert [e["path"] for e in body["errors"]] == [["nodes", 0], ["nodes", 1]]


async def test_deleted_run_has_null_tasks_without_error(gateway: Gateway) -> None:
    ho = gateway.emulator.healthomics
    deleted = next(r for r in ho.all_runs() if r["status"] == "DELETED")
    body = await gateway.query(
        'query($id: String!) { run(source: "aws", id: $id) { state tasks(first: 5) { edges { cursor } } } }',
        id=deleted["id"],
    )
    assert "errors" not in body
    assert body["data"]["run"] == {"state": "DELETED", "tasks": None}


async def test_one_failing_listing_leaves_the_rest_of_the_tree(gateway: Gateway) -> None:
    gateway.emulator.faults.configure("omics", "ListRunsInBatch", error_rate=1.0)
    batch = a_batch(gateway)
    body = await gateway.query(
        f'{{ batch(source: "aws", id: "{batch}") {{ name runs(first: 5) {{ edges {{ cursor }} }} }}'
        ' runs(source: "aws", first: 3) { edges { node { nativeId } } } }'
    )
    assert body["data"]["batch"]["name"]
    assert body["data"]["batch"]["runs"] is None
    assert len(body["data"]["runs"]["edges"]) == 3
    (error,) = body["errors"]
    assert error["path"] == ["batch", "runs"]
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert error["extensions"]["upstreamCode"] == "InternalServerException"


async def test_throttling_maps_to_throttled(gateway: Gateway) -> None:
    gateway.emulator.faults.configure("omics", "GetBatch", throttle_rate=1.0)
    body = await gateway.query(f'{{ batch(source: "aws", id: "{a_batch(gateway)}") {{ name }} }}')
    assert codes(body) == ["THROTTLED"]
    assert body["errors"][0]["extensions"]["upstreamCode"] == "ThrottlingException"


async def test_hanging_upstream_maps_to_timeout(upstreams: Upstreams) -> None:
    settings = settings_for(upstreams.url, limits={"upstream_timeout_seconds": 0.3})
    upstreams.emulator.faults.configure("omics", "GetBatch", hang=True)
    try:
        async for gw in open_gateway(upstreams, settings):
            body = await gw.query(f'{{ batch(source: "aws", id: "{a_batch(gw)}") {{ name }} }}')
            assert codes(body) == ["UPSTREAM_TIMEOUT"]
    finally:
        upstreams.emulator.faults.reset(quotas=False)


async def test_untyped_failures_are_masked(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def boom(self: HealthOmicsProvider, batch_id: str) -> Any:
        raise RuntimeError("secret detail at /etc/credentials")

    monkeypatch.setattr(HealthOmicsProvider, "get_batch", boom)
    body = await gateway.query(f'{{ batch(source: "aws", id: "{a_batch(gateway)}") {{ name }} }}')
    (error,) = body["errors"]
    assert error["message"] == "internal error"
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["extensions"]["requestId"]
    assert "secret" not in str(body) and "Traceback" not in str(body)
