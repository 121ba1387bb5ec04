"""Every refusal has a code: the subgraph SDL only to introspection or a federation router key,
and a Tencent source without credentials is UPSTREAM_UNAVAILABLE, not INTERNAL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tencentcloud.common import credential

from gateway.security.auth import hash_key
from tests.conftest import TC_SOURCE, Upstreams
from tests.security.conftest import API_KEYS, KEY_A, Recorder, Secured, codes, open_secured

ROUTER_KEY = "rgw_router-0123456789abcdefghijklmnopqrstuvwxyz"
ROUTER = {"name": "router", "sha256": hash_key(ROUTER_KEY), "sources": ["*"]}

SDL_FORMS = [
    "{ _service { sdl } }",
    "{ s: _service { sdl } }",
    "{ ... on Query { _service { sdl } } }",
    "query { ...F } fragment F on Query { _service { sdl } }",
    "query A { sources { name } } query B { _service { sdl } }",
]


@pytest.fixture
async def closed(upstreams: Upstreams, recorder: Recorder) -> AsyncIterator[Secured]:
    """Introspection off; the key named `router` may read the SDL."""
    async for gw in open_secured(
        upstreams,
        recorder,
        auth={"mode": "api_key", "api_keys": [*API_KEYS, ROUTER]},
        graphql={"introspection": False},
        federation={"router_keys": ["router"]},
    ):
        yield gw


@pytest.mark.parametrize("query", SDL_FORMS)
async def test_the_sdl_is_refused_to_other_keys(closed: Secured, query: str) -> None:
    op = "B" if "query B" in query else None
    resp = await closed.client.post(
        "/graphql", json={"query": query, "operationName": op}, headers={"X-API-Key": KEY_A}
    )
    body = resp.json()
    assert codes(body) == ["FORBIDDEN"], body
    assert "sdl" not in resp.text.lower().replace("the subgraph sdl", "")
    assert closed.calls() == {}


async def test_the_router_key_reads_the_sdl(closed: Secured) -> None:
    body = await closed.query("{ _service { sdl } }", ROUTER_KEY)
    assert "type HealthOmicsRun" in body["data"]["_service"]["sdl"], body
    # Other operations of other keys are untouched by the rule.
    plain = await closed.query("{ sources { name } }", KEY_A)
    assert not plain.get("errors"), plain


async def test_with_introspection_on_anyone_reads_it(keyed: Secured) -> None:
    body = await keyed.query("{ _service { sdl } }", KEY_A)
    assert "type HealthOmicsRun" in body["data"]["_service"]["sdl"], body


async def test_a_tencent_source_without_credentials_is_coded(
    upstreams: Upstreams,
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID")
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY")
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.tencentcloud/credentials
    # Not on a CVM: its metadata probe would leave loopback, so it answers "none" here.
    monkeypatch.setattr(credential.CVMRoleCredential, "get_credential", lambda self: None)
    sources = [
        {
            "name": TC_SOURCE,
            "provider": "tencent-omics",
            "region": "ap-guangzhou",
            "endpoint_url": upstreams.url,
        }
    ]
    async for gw in open_secured(upstreams, recorder, sources=sources, auth={"mode": "none"}):
        body = await gw.query(
            f'{{ runs(source: "{TC_SOURCE}", first: 2) {{ edges {{ node {{ id }} }} }} sources {{ name }} }}'
        )
        assert codes(body) == ["UPSTREAM_UNAVAILABLE"], body
        assert body["data"]["sources"] == [{"name": TC_SOURCE}]
        assert gw.calls() == {}
