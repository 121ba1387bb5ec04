"""Each auth mode over HTTP and WebSocket: good, missing, expired, wrong audience, bad signature."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest

with warnings.catch_warnings():  # Starlette would rather have httpx2; httpx is what we ship
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.security.auth import Principal
from tests.conftest import HO_SOURCE, Upstreams, settings_for
from tests.security.conftest import (
    API_KEYS,
    AUDIENCE,
    HMAC_SECRET,
    ISSUER,
    KEY_A,
    KEY_ALL,
    Recorder,
    Secured,
    Signer,
    open_secured,
    two_sources,
)

SOURCES = "{ sources { name } }"


def jwt_auth(**jwt_cfg: Any) -> dict[str, Any]:
    base = {"issuer": ISSUER, "audience": AUDIENCE}
    base.update(jwt_cfg)
    return {"mode": "jwt", "jwt": base}


@pytest.fixture
async def hmac_gw(upstreams: Upstreams, recorder: Recorder) -> AsyncIterator[Secured]:
    auth = jwt_auth(key=HMAC_SECRET, algorithms=["HS256"])
    async for gw in open_secured(upstreams, recorder, auth=auth):
        yield gw


@pytest.fixture
async def jwks_gw(
    upstreams: Upstreams, recorder: Recorder, jwks_url: str
) -> AsyncIterator[Secured]:
    async for gw in open_secured(
        upstreams, recorder, auth=jwt_auth(jwks_url=jwks_url, algorithms=["RS256"])
    ):
        yield gw


def hmac() -> Signer:
    return Signer(HMAC_SECRET, "HS256")


def assert_unauthenticated(resp: Any) -> None:
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith("Bearer")
    body = resp.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in body


# -- API keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
async def test_api_key_good(keyed: Secured, header: str) -> None:
    value = KEY_A if header == "X-API-Key" else f"Bearer {KEY_A}"
    resp = await keyed.post(SOURCES, headers={header: value})
    assert resp.status_code == 200
    assert resp.json() == {"data": {"sources": [{"name": HO_SOURCE}]}}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "rgw_not-a-key"},
        {"X-API-Key": KEY_A[4:]},  # without the prefix
        {"Authorization": f"Basic {KEY_A}"},
        {"Authorization": "Bearer "},
    ],
)
async def test_api_key_missing_or_bad_is_401_before_parsing(
    keyed: Secured, headers: dict[str, str]
) -> None:
    batch = keyed.upstreams.emulator.healthomics.batch_ids()[0]
    # Not even valid GraphQL: the refusal comes before the parser.
    resp = await keyed.post(f'{{ batch(source: "aws", id: "{batch}") {{ name', headers=headers)
    assert_unauthenticated(resp)
    assert keyed.calls() == {}


async def test_get_requests_need_credentials_too(keyed: Secured) -> None:
    resp = await keyed.client.get("/graphql", params={"query": SOURCES})
    keyed.bodies.append(resp.text)
    assert_unauthenticated(resp)
    resp = await keyed.client.get(
        "/graphql", params={"query": SOURCES}, headers={"X-API-Key": KEY_A}
    )
    keyed.bodies.append(resp.text)
    assert resp.json() == {"data": {"sources": [{"name": HO_SOURCE}]}}


# -- JWT, static key -----------------------------------------------------------------------------


async def test_jwt_static_key_good(hmac_gw: Secured) -> None:
    token = hmac().token(sources=["aws", "aws2"])
    resp = await hmac_gw.post(SOURCES, headers={"Authorization": f"Bearer {token}"})
    assert resp.json()["data"]["sources"] == [{"name": "aws"}, {"name": "aws2"}]


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 3600},
        {"aud": "someone-else"},
        {"iss": "https://elsewhere.test"},
        {"sub": None},
        {"exp": None},
    ],
    ids=["expired", "wrong-audience", "wrong-issuer", "no-subject", "no-expiry"],
)
async def test_jwt_static_key_rejections(hmac_gw: Secured, claims: dict[str, Any]) -> None:
    token = hmac().token(**claims)
    resp = await hmac_gw.post(SOURCES, headers={"Authorization": f"Bearer {token}"})
    assert_unauthenticated(resp)


async def test_jwt_wrong_signature_and_alg_none(hmac_gw: Secured) -> None:
    forged = Signer("another-secret-entirely-0123456789", "HS256").token()
    unsigned = __import__("jwt").encode(
        {"sub": "x", "exp": int(time.time()) + 60}, None, algorithm="none"
    )
    for token in (forged, unsigned, "not.a.jwt", KEY_A):
        resp = await hmac_gw.post(SOURCES, headers={"Authorization": f"Bearer {token}"})
        assert_unauthenticated(resp)


async def test_jwt_sources_claim_grants_nothing_when_absent(hmac_gw: Secured) -> None:
    token = hmac().token(sources=[])
    resp = await hmac_gw.post(SOURCES, headers={"Authorization": f"Bearer {token}"})
    assert resp.json()["data"]["sources"] == []
    wildcard = hmac().token(sources="*")
    resp = await hmac_gw.post(SOURCES, headers={"Authorization": f"Bearer {wildcard}"})
    assert [s["name"] for s in resp.json()["data"]["sources"]] == ["aws", "aws2"]


# -- JWT, JWKS on loopback -----------------------------------------------------------------------


async def test_jwt_jwks_good_expired_audience_signature(
    jwks_gw: Secured, rsa_signer: Signer, rogue_signer: Signer
) -> None:
    good = rsa_signer.token(sources=["aws2"])
    resp = await jwks_gw.post(SOURCES, headers={"Authorization": f"Bearer {good}"})
    assert resp.json() == {"data": {"sources": [{"name": "aws2"}]}}
    for token in (
        rsa_signer.token(exp=int(time.time()) - 3600),
        rsa_signer.token(aud="other"),
        rogue_signer.token(),  # same kid, another key
        hmac().token(),  # HS256 is not in the allow-list
    ):
        resp = await jwks_gw.post(SOURCES, headers={"Authorization": f"Bearer {token}"})
        assert_unauthenticated(resp)


def test_expired_principal_fails_its_freshness_check() -> None:
    """The hook a long-lived subscription calls between events."""
    fresh = Principal("alice", None, "jwt", time.time() + 60)
    fresh.ensure_fresh()
    stale = Principal("alice", None, "jwt", time.time() - 1)
    with pytest.raises(Exception) as caught:
        stale.ensure_fresh()
    assert getattr(caught.value, "code", None).value == "UNAUTHENTICATED"  # type: ignore[union-attr]


# -- WebSocket: the credential in connection_init ------------------------------------------------


def ws_client(upstreams: Upstreams, auth: dict[str, Any]) -> TestClient:
    settings = settings_for(upstreams.url, sources=two_sources(upstreams.url), auth=auth)
    return TestClient(create_app(settings))


def ws_exchange(client: TestClient, payload: dict[str, Any] | None) -> dict[str, Any]:
    """connection_init, then (if acknowledged) one query over graphql-transport-ws."""
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json(
            {"type": "connection_init", **({"payload": payload} if payload is not None else {})}
        )
        reply = ws.receive()
        if reply["type"] == "websocket.close":
            return {"closed": reply["code"]}
        assert json.loads(reply["text"]) == {"type": "connection_ack"}
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SOURCES}})
        message = json.loads(ws.receive()["text"])
        assert message["type"] == "next"
        return {"next": message["payload"]}


def test_ws_api_key_in_connection_init(upstreams: Upstreams, recorder: Recorder) -> None:
    auth = {"mode": "api_key", "api_keys": API_KEYS}
    with ws_client(upstreams, auth) as client:
        good = ws_exchange(client, {"X-API-Key": KEY_A})
        assert good == {"next": {"data": {"sources": [{"name": HO_SOURCE}]}}}
        bearer = ws_exchange(client, {"headers": {"Authorization": f"Bearer {KEY_ALL}"}})
        assert [s["name"] for s in bearer["next"]["data"]["sources"]] == ["aws", "aws2"]
        for payload in (None, {}, {"X-API-Key": "rgw_wrong"}):
            assert ws_exchange(client, payload) == {"closed": 4403}
    recorder.extra.append(repr(good) + repr(bearer))


def test_ws_jwt_in_connection_init(upstreams: Upstreams, recorder: Recorder) -> None:
    with ws_client(upstreams, jwt_auth(key=HMAC_SECRET, algorithms=["HS256"])) as client:
        good = ws_exchange(client, {"token": hmac().token(sources=["aws2"])})
        assert good == {"next": {"data": {"sources": [{"name": "aws2"}]}}}
        for token in (
            hmac().token(exp=int(time.time()) - 3600),
            hmac().token(aud="other"),
            Signer("wrong-secret-0123456789abcdef-0123456789", "HS256").token(),
        ):
            assert ws_exchange(client, {"Authorization": f"Bearer {token}"}) == {"closed": 4403}


def test_mode_none_needs_nothing(upstreams: Upstreams) -> None:
    with ws_client(upstreams, {"mode": "none"}) as client:
        out = ws_exchange(client, None)
        assert [s["name"] for s in out["next"]["data"]["sources"]] == ["aws", "aws2"]
