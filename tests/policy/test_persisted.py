"""Automatic persisted queries (Apollo's APQ protocol) and the allow-list mode, over HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.config import ConfigError
from gateway.policy.persisted import sha256_hex
from tests.conftest import Gateway, Upstreams, open_gateway, settings_for

SOURCES = "query Sources { sources { name provider } }"
EXPECTED = {
    "sources": [
        {"name": "aws", "provider": "HEALTHOMICS"},
        {"name": "tencent", "provider": "TENCENT_OMICS"},
        {"name": "datazone", "provider": "DATAZONE"},
    ]
}
NAMES = {"sources": [{"name": "aws"}, {"name": "tencent"}, {"name": "datazone"}]}


def _pq(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}}


async def _post(gw: Gateway, **body: Any) -> dict[str, Any]:
    resp = await gw.client.post("/graphql", json=body)
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


async def _get(gw: Gateway, **params: Any) -> dict[str, Any]:
    encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    resp = await gw.client.get("/graphql", params=encoded)
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


def _only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None
    (error,) = body["errors"]
    result: dict[str, Any] = error
    return result


async def test_unknown_hash_then_register_then_hash_only(gateway: Gateway) -> None:
    error = _only_error(await _post(gateway, extensions=_pq(SOURCES)))
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert error["extensions"]["requestId"]

    registered = await _post(gateway, query=SOURCES, extensions=_pq(SOURCES))
    assert registered == {"data": EXPECTED}
    assert await _post(gateway, extensions=_pq(SOURCES)) == {"data": EXPECTED}


async def test_apq_over_get(gateway: Gateway) -> None:
    query = "query SourcesByGet { sources { name } }"
    error = _only_error(await _get(gateway, extensions=_pq(query)))
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert (await _get(gateway, query=query, extensions=_pq(query)))["data"] == {**NAMES}
    assert (await _get(gateway, extensions=_pq(query)))["data"] == NAMES


async def test_hash_must_match_the_query(gateway: Gateway) -> None:
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex("{ other }")}}
    error = _only_error(await _post(gateway, query=SOURCES, extensions=wrong))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "provided sha does not match query"
    # Nothing was registered under the wrong hash.
    error = _only_error(await _post(gateway, extensions=wrong))
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_unsupported_version_is_bad_input(gateway: Gateway) -> None:
    ext = {"persistedQuery": {"version": 2, "sha256Hash": sha256_hex(SOURCES)}}
    error = _only_error(await _post(gateway, query=SOURCES, extensions=ext))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_registered_hash_runs_with_variables(gateway: Gateway) -> None:
    ho = gateway.emulator.healthomics
    batch_id = ho.batch_ids()[0]
    query = 'query B($id: String!) { batch(source: "aws", id: $id) { nativeId name } }'
    body = await _post(gateway, query=query, variables={"id": batch_id}, extensions=_pq(query))
    assert body["data"]["batch"] == {"nativeId": batch_id, "name": ho.batch(batch_id)["name"]}
    gateway.reset_calls()
    again = await _post(gateway, variables={"id": batch_id}, extensions=_pq(query))
    assert again == body
    # The hash resolved to the same document and variables: the same kept answer, no upstream.
    assert gateway.calls() == {}


@pytest.fixture
async def allowlisted(upstreams: Upstreams, tmp_path: Path) -> AsyncIterator[Gateway]:
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": sha256_hex(SOURCES), "name": "Sources", "type": "query", "body": SOURCES}
        ],
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    settings = settings_for(
        upstreams.url,
        graphql={
            "introspection": True,
            "persisted_queries": "allowlist",
            "persisted_query_manifest": str(path),
        },
    )
    async for gw in open_gateway(upstreams, settings):
        yield gw


async def test_allowlist_runs_listed_operations_only(allowlisted: Gateway) -> None:
    assert await _post(allowlisted, extensions=_pq(SOURCES)) == {"data": EXPECTED}
    assert await _post(allowlisted, query=SOURCES) == {"data": EXPECTED}

    other = "query Other { sources { region } }"
    error = _only_error(await _post(allowlisted, query=other))
    assert error["extensions"]["code"] == "FORBIDDEN"
    # Registration is refused in allow-list mode: the hash stays unknown.
    error = _only_error(await _post(allowlisted, query=other, extensions=_pq(other)))
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    error = _only_error(await _post(allowlisted, extensions=_pq(other)))
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_allowlist_needs_a_manifest(upstreams: Upstreams) -> None:
    with pytest.raises(ConfigError, match="persisted_query_manifest"):
        settings_for(upstreams.url, graphql={"persisted_queries": "allowlist"})


async def test_manifest_entries_must_hash_to_their_query(
    upstreams: Upstreams, tmp_path: Path
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({sha256_hex("{ other }"): SOURCES}))
    settings = settings_for(
        upstreams.url,
        graphql={"persisted_queries": "allowlist", "persisted_query_manifest": str(path)},
    )
    with pytest.raises(ConfigError, match="not the sha256 of its query"):
        async for _ in open_gateway(upstreams, settings):
            pass


async def test_off_mode_ignores_the_extension(upstreams: Upstreams) -> None:
    settings = settings_for(upstreams.url, graphql={"persisted_queries": "off"})
    async for gw in open_gateway(upstreams, settings):
        assert await _post(gw, query=SOURCES, extensions=_pq("{ different }")) == {"data": EXPECTED}
