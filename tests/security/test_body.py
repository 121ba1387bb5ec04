"""Malformed input of every kind (bodies, GET parameters, headers, WebSocket messages) answers a
coded JSON error, never a 5xx, and quotes at most a short prefix of what it refuses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from gateway.app import create_app
from gateway.emulator.server import LoopbackServer
from gateway.errors import quoted
from gateway.graph.ids import global_id
from gateway.security.body import RequestRejected, decode_json, too_deep
from tests.conftest import HO_SOURCE, Upstreams, settings_for
from tests.security.conftest import API_KEYS, KEY_A, Secured, run_ids, two_sources

JSON = {"content-type": "application/json"}
OK_QUERY = "{ sources { name } }"
DEEP = "[" * 5000 + "]" * 5000

#: (name, method, request kwargs): each was a 500 or an uncoded answer before.
MALFORMED: list[tuple[str, str, dict[str, Any]]] = [
    ("array body", "post", {"content": b"[1, 2]", "headers": JSON}),
    ("string body", "post", {"content": b'"x"', "headers": JSON}),
    ("deep body", "post", {"content": DEEP.encode(), "headers": JSON}),
    (
        "deep variables",
        "post",
        {"content": f'{{"query": "{OK_QUERY}", "variables": {DEEP}}}'.encode(), "headers": JSON},
    ),
    ("not UTF-8", "post", {"content": b'\xff\xfe{"query": "x"}', "headers": JSON}),
    (
        "lone surrogate",
        "post",
        {"content": b'{"query": "{ sources { name } } #\\ud800"}', "headers": JSON},
    ),
    (
        "lone surrogate with APQ",
        "post",
        {
            "content": b'{"query": "{ sources { name } } #\\udfff", "extensions": '
            b'{"persistedQuery": {"version": 1, "sha256Hash": "' + b"a" * 64 + b'"}}}',
            "headers": JSON,
        },
    ),
    ("GET deep variables", "get", {"params": {"query": OK_QUERY, "variables": DEEP}}),
    ("GET deep extensions", "get", {"params": {"query": OK_QUERY, "extensions": DEEP}}),
    ("GET broken extensions", "get", {"params": {"query": OK_QUERY, "extensions": "{"}}),
    (
        "GET bad UTF-8 query",
        "get",
        {"path": "/graphql?query=%7B%20sources%20%7B%20name%20%7D%20%7D%23%FF%ED%A0%80"},
    ),
    ("query not a string", "post", {"json": {"query": 5}}),
    ("variables not an object", "post", {"json": {"query": OK_QUERY, "variables": 5}}),
    ("operationName not a string", "post", {"json": {"query": OK_QUERY, "operationName": 5}}),
    ("form body", "post", {"content": b"query=abc", "headers": {"content-type": "text/plain"}}),
    ("PUT", "put", {"json": {"query": OK_QUERY}}),
    (
        "broken multipart",
        "post",
        {"content": b"--x\r\n", "headers": {"content-type": "multipart/form-data; boundary=x"}},
    ),
    ("odd content length", "post", {"content": b"{}", "headers": {**JSON, "content-length": "2"}}),
    (
        "odd cache-control",
        "post",
        {"json": {"query": OK_QUERY}, "headers": {"cache-control": "no-cache=\x7f, max-age=-1"}},
    ),
]


@pytest.fixture
async def client(upstreams: Upstreams) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_for(upstreams.url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
            yield c


def assert_coded(resp: httpx.Response) -> list[str]:
    assert resp.status_code < 500, resp.text
    assert resp.headers["content-type"].startswith("application/"), resp.headers
    errors = resp.json().get("errors") or []
    assert all(e.get("extensions", {}).get("code") for e in errors), errors
    assert "Traceback" not in resp.text
    return [e["extensions"]["code"] for e in errors]


@pytest.mark.parametrize(("name", "method", "kwargs"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_malformed_requests_answer_coded_errors(
    client: httpx.AsyncClient, name: str, method: str, kwargs: dict[str, Any]
) -> None:
    kwargs = dict(kwargs)
    resp = await client.request(method.upper(), kwargs.pop("path", "/graphql"), **kwargs)
    codes = assert_coded(resp)
    if name not in ("odd content length", "odd cache-control", "GET bad UTF-8 query"):
        assert codes and set(codes) <= {"BAD_USER_INPUT", "QUERY_TOO_COSTLY"}, resp.text


async def test_the_gateway_still_answers_after_the_malformed_ones(
    client: httpx.AsyncClient,
) -> None:
    for _, method, kwargs in MALFORMED:
        kwargs = dict(kwargs)
        await client.request(method.upper(), kwargs.pop("path", "/graphql"), **kwargs)
    resp = await client.post("/graphql", json={"query": OK_QUERY})
    assert resp.status_code == 200 and resp.json()["data"]["sources"], resp.text


async def test_a_long_malformed_id_is_quoted_short(client: httpx.AsyncClient) -> None:
    huge = "x" * 100_000
    resp = await client.post(
        "/graphql",
        json={"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": huge}},
    )
    assert assert_coded(resp) == ["BAD_USER_INPUT"]
    assert len(resp.text) < 1_000, len(resp.text)


def test_depth_is_bounded_before_parsing_and_strings_do_not_count() -> None:
    assert too_deep(b"[" * 65 + b"]" * 65, 64)
    assert not too_deep(b"[" * 64 + b"]" * 64, 64)
    assert not too_deep(b'{"a": "' + b"[" * 10_000 + b'"}', 64)
    assert not too_deep(b"[" + b"[]," * 10_000 + b"[]]", 64)  # many, but shallow
    with pytest.raises(RequestRejected) as err:
        decode_json(b"[" * 10_000, max_bytes=1_000_000)
    assert "nested deeper" in err.value.message
    with pytest.raises(RequestRejected) as err:
        decode_json(b"{}" + b" " * 2_000, max_bytes=1_000)
    assert err.value.status == 413
    assert quoted("y" * 1_000).endswith("…'") and len(quoted("y" * 1_000)) < 50


# -- WebSocket messages ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ws_url(upstreams: Upstreams) -> Iterator[str]:
    settings = settings_for(
        upstreams.url,
        sources=two_sources(upstreams.url),
        auth={"mode": "api_key", "api_keys": API_KEYS},
    )
    with LoopbackServer(create_app(settings)) as srv:
        yield srv.url.replace("http://", "ws://") + "/graphql"


async def _exchange(
    url: str, protocol: str, messages: list[str], replies: int
) -> tuple[list[dict[str, Any]], int | None]:
    """Send `messages`; collect up to `replies` answers and the close code, if it closed."""
    got: list[dict[str, Any]] = []
    async with connect(url, subprotocols=[protocol], open_timeout=10) as ws:  # type: ignore[list-item]
        for m in messages:
            await ws.send(m)
        try:
            while len(got) < replies:
                frame = await asyncio.wait_for(ws.recv(), 5)
                message = json.loads(frame)
                if message.get("type") not in ("ka", "ping", "pong"):
                    got.append(message)
        except Exception:
            pass
        return got, ws.close_code


INIT = json.dumps({"type": "connection_init", "payload": {"X-API-Key": KEY_A}})
SHAPELESS = [
    '{"type": "subscribe", "id": "1", "payload": 5}',
    '{"type": "subscribe", "id": "1", "payload": {"query": 5}}',
    '{"type": "subscribe", "id": {}, "payload": {"query": "subscription { a }"}}',
    '{"type": "subscribe", "id": "1", "payload": {"query": "subscription { a }", "operationName": 5}}',
    '{"type": "subscribe", "id": "1", "payload": {"query": "x", "variables": ' + DEEP + "}}",
    '{"type": "subscribe", "id": "1", "payload": {"query": "subscription { a } #\\ud800"}}',
    "[1, 2, 3]",
    "not json",
]


@pytest.mark.parametrize("message", SHAPELESS, ids=range(len(SHAPELESS)))
async def test_shapeless_websocket_messages_close_with_4400(ws_url: str, message: str) -> None:
    got, close = await _exchange(ws_url, "graphql-transport-ws", [INIT, message], 2)
    assert got[0]["type"] == "connection_ack"
    assert close == 4400, (got, close)


async def test_the_legacy_protocol_answers_coded_errors(upstreams: Upstreams, ws_url: str) -> None:
    run = global_id("HealthOmicsRun", HO_SOURCE, run_ids(upstreams)[0])
    start = {
        "type": "start",
        "id": "1",
        "payload": {
            "query": "subscription($id: ID!) { runUpdated(id: $id) { nativeId } }",
            "variables": {"id": run},
        },
    }
    got, _ = await _exchange(ws_url, "graphql-ws", [INIT, json.dumps(start)], 3)
    assert got[0]["type"] == "connection_ack", got
    assert got[1]["type"] == "data" and got[1]["payload"]["data"]["runUpdated"]["nativeId"], got
    bad = {"type": "start", "id": "2", "payload": {"query": 5}}
    got, _ = await _exchange(ws_url, "graphql-ws", [INIT, json.dumps(bad)], 2)
    assert got[1]["type"] == "error" and got[1]["payload"]["extensions"]["code"] == "BAD_USER_INPUT"
    refused, _ = await _exchange(
        ws_url,
        "graphql-ws",
        [json.dumps({"type": "connection_init", "payload": {"X-API-Key": "rgw_wrong"}})],
        1,
    )
    assert refused[0]["type"] == "connection_error", refused
    assert refused[0]["payload"]["extensions"]["code"] == "UNAUTHENTICATED", refused


async def test_the_subscription_limit_has_a_code(ws_url: str, upstreams: Upstreams) -> None:
    run = global_id("HealthOmicsRun", HO_SOURCE, run_ids(upstreams, "RUNNING")[0])
    sub = "subscription($id: ID!) { runUpdated(id: $id) { nativeId } }"
    # Strawberry's limit is 100 in-flight operations per connection: the 101st is refused.
    messages = [INIT] + [
        json.dumps(
            {"type": "subscribe", "id": str(i), "payload": {"query": sub, "variables": {"id": run}}}
        )
        for i in range(101)
    ]
    async with connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        for m in messages:
            await ws.send(m)
        errors: list[dict[str, Any]] = []
        while not errors:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if message["type"] == "error":
                errors = message["payload"]
    assert errors[0]["message"] == "Subscription limit reached"
    assert errors[0]["extensions"]["code"] == "THROTTLED"


ODD_CREDENTIALS = [
    {"authorization": b"Bearer "},
    {"authorization": b"Bearer \xff\xfe"},
    {"authorization": b"Basic dXNlcjpwYXNz"},
    {"authorization": b"Bearer eyJhbGciOiJub25lIn0.e30."},
    {"authorization": b"Bearer rgw_" + b"x" * 5_000},
    {"x-api-key": b"\xc3\x28"},
    {"x-api-key": b"rgw_key-a", "authorization": b"Bearer rgw_other"},
]


@pytest.mark.parametrize("headers", ODD_CREDENTIALS, ids=range(len(ODD_CREDENTIALS)))
async def test_odd_credentials_are_coded_refusals(
    keyed: Secured, headers: dict[str, bytes]
) -> None:
    resp = await keyed.client.post("/graphql", json={"query": OK_QUERY}, headers=headers)
    assert resp.status_code == 401, resp.text
    assert assert_coded(resp) == ["UNAUTHENTICATED"]
    assert len(resp.text) < 1_000
