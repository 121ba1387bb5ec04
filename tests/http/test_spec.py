"""GraphQL over HTTP to the spec, against a real gateway on loopback: media types, the status of
each kind of failure, every request-level failure a JSON error with a code, and client mistakes
logged quietly (tests/http/test_audit.py runs the spec's own audit)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.emulator.server import LoopbackServer
from tests.conftest import HO_SOURCE, Upstreams, settings_for

GQL = "application/graphql-response+json"
JSON = "application/json"


@pytest.fixture(scope="module")
def url(upstreams: Upstreams) -> Iterator[str]:
    with LoopbackServer(create_app(settings_for(upstreams.url))) as server:
        yield f"{server.url}/graphql"


def post(url: str, accept: str | None, **kwargs: Any) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if accept is not None:
        headers["accept"] = accept
    return httpx.post(url, headers=headers, timeout=30, **kwargs)


def only_error(resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["requestId"] == resp.headers["x-request-id"]
    return dict(error)


@pytest.mark.parametrize(
    ("accept", "served"),
    [
        (GQL, GQL),
        (JSON, JSON),
        (None, JSON),
        ("*/*", JSON),
        (f"{GQL}, {JSON};q=0.9", GQL),
        (f"{GQL};q=0.5, {JSON}", JSON),
        ("text/html", JSON),
    ],
)
def test_the_media_type_follows_accept(url: str, accept: str | None, served: str) -> None:
    resp = post(url, accept, json={"query": "{ __typename }"})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == f"{served}; charset=utf-8"
    assert resp.json() == {"data": {"__typename": "Query"}}


DOCUMENT_ERRORS = {
    "syntax": {"query": "{ runs("},
    "validation": {"query": "{ noSuchField }"},
    "variable of the wrong type": {
        "query": f'query($n: Int) {{ runs(source: "{HO_SOURCE}", first: $n) {{ totalCount }} }}',
        "variables": {"n": "five"},
    },
    "subscription over POST": {"query": 'subscription { runUpdated(id: "x") { __typename } }'},
    "unknown operation name": {"query": "query A { __typename }", "operationName": "B"},
    "several operations, none named": {"query": "query A { __typename } query B { __typename }"},
}


@pytest.mark.parametrize("case", DOCUMENT_ERRORS)
def test_a_document_that_cannot_run_is_a_request_error(url: str, case: str) -> None:
    """400 under graphql-response+json, 200 under application/json (the spec's status for
    each), never data, never INTERNAL."""
    for accept, status in ((GQL, 400), (JSON, 200)):
        resp = post(url, accept, json=DOCUMENT_ERRORS[case])
        assert resp.status_code == status, (accept, resp.text)
        assert resp.headers["content-type"].startswith(accept)
        only_error(resp)


def test_messages_say_what_to_do(url: str) -> None:
    sub = only_error(post(url, GQL, json=DOCUMENT_ERRORS["subscription over POST"]))
    assert "WebSocket" in sub["message"] and "graphql-transport-ws" in sub["message"]
    op = only_error(post(url, GQL, json=DOCUMENT_ERRORS["unknown operation name"]))
    assert "'B'" in op["message"] and "operationName" in op["message"]
    var = only_error(post(url, GQL, json=DOCUMENT_ERRORS["variable of the wrong type"]))
    assert "$n" in var["message"] and "Int" in var["message"] and "variables" in var["message"]


MALFORMED = {
    "not JSON": {"content": b'{"query', "headers": {"content-type": JSON}},
    "operationName an object": {"json": {"query": "{ __typename }", "operationName": {"a": 1}}},
    "operationName an array": {"json": {"query": "{ __typename }", "operationName": ["A"]}},
    "variables not an object": {"json": {"query": "{ __typename }", "variables": "{}"}},
    "query not a string": {"json": {"query": {"a": 1}}},
    "no query": {"json": {"qeury": "{ __typename }"}},
    "a batch": {"json": [{"query": "{ __typename }"}]},
    "no body": {"headers": {"content-type": JSON}},
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_request_is_a_json_400_in_both_media(url: str, case: str) -> None:
    for accept in (GQL, JSON, None):
        resp = post(url, accept, **MALFORMED[case])
        assert resp.status_code == 400, (accept, resp.text)
        only_error(resp)


def test_a_body_that_is_not_json_is_415(url: str) -> None:
    resp = post(url, GQL, content=b"{ __typename }", headers={"content-type": "text/plain"})
    assert resp.status_code == 415
    assert "application/json" in only_error(resp)["message"]


def test_a_mutation_over_get_is_405_with_allow_post(url: str) -> None:
    for accept in (GQL, JSON):
        resp = httpx.get(
            url, params={"query": "mutation { __typename }"}, headers={"accept": accept}
        )
        assert resp.status_code == 405
        assert resp.headers["allow"] == "POST"
        assert "POST" in only_error(resp)["message"]


def test_a_named_operation_among_several_runs(url: str) -> None:
    for name in ("A", "B"):
        body = {
            "query": "query A { a: __typename } query B { b: __typename }",
            "operationName": name,
        }
        resp = post(url, GQL, json=body)
        assert resp.status_code == 200 and resp.json() == {"data": {name.lower(): "Query"}}


def test_other_methods_are_a_json_405(url: str) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        resp = httpx.request(method, url, json={"query": "{ __typename }"}, headers={"accept": GQL})
        assert resp.status_code == 405 and resp.headers["allow"] == "GET, POST"
        assert resp.headers["content-type"].startswith(GQL)
        only_error(resp)


def test_a_query_over_get_answers(url: str) -> None:
    resp = httpx.get(url, params={"query": "{ __typename }"}, headers={"accept": GQL})
    assert resp.status_code == 200 and resp.json() == {"data": {"__typename": "Query"}}


def test_client_mistakes_are_logged_quietly(url: str, caplog: pytest.LogCaptureFixture) -> None:
    """NOT_FOUND and BAD_USER_INPUT at INFO without a traceback; nothing at ERROR."""
    missing = base64.b64encode(f"HealthOmicsRun:{HO_SOURCE}:0000000".encode()).decode()
    with caplog.at_level(logging.INFO):
        body = post(url, JSON, json={"query": f'{{ node(id: "{missing}") {{ id }} }}'}).json()
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", body
        for case in DOCUMENT_ERRORS.values():
            post(url, GQL, json=case)
        post(url, GQL, json={"query": "{ __typename }", "operationName": {"a": 1}})
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    lines = [r.getMessage() for r in caplog.records if r.name == "strawberry.execution"]
    assert any(line.startswith("NOT_FOUND at node") for line in lines), lines
    assert any("Int cannot represent" in line for line in lines), lines
