"""Schemathesis against the live gateway on loopback: generated queries for every root field
find no 5xx and no error without `extensions.code` (bounded: a few hundred queries); and a
hypothesis fuzzer of whole requests (bodies, GET parameters, headers) finds none either."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.app import create_app
from gateway.emulator.server import LoopbackServer
from tests.conftest import Upstreams, settings_for
from tests.security.conftest import API_KEYS, KEY_A, secrets_of, two_sources

EXAMPLES_PER_FIELD = 40


@pytest.fixture(scope="module")
def live_gateway(upstreams: Upstreams) -> Iterator[str]:
    upstreams.emulator.faults.reset(quotas=False)
    gw_settings = settings_for(
        upstreams.url,
        sources=two_sources(upstreams.url),
        auth={"mode": "api_key", "api_keys": API_KEYS},
        graphql={"introspection": True, "max_upstream_calls": 60},
        # Generated trees are wide; keep each bounded in time, and unpaced (no quotas here).
        limits={"query_deadline_seconds": 5, "upstream_rates": {}, "queries_per_minute": 0},
    )
    with LoopbackServer(create_app(gw_settings)) as srv:
        yield f"{srv.url}/graphql"


SENT: list[int] = []


def check(case: Any) -> None:
    SENT.append(1)
    response = case.call(headers={"X-API-Key": KEY_A})
    assert response.status_code < 500, response.text
    body = response.json()
    for error in body.get("errors") or []:
        assert error.get("extensions", {}).get("code"), error
    for secret in secrets_of([]):
        assert secret not in response.text
    assert "Traceback" not in response.text


def test_generated_queries(live_gateway: str) -> None:
    schema = schemathesis.graphql.from_url(live_gateway, headers={"X-API-Key": KEY_A})
    fields = []
    for result in schema.get_all_operations():
        operation = result.ok()
        fields.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_FIELD,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def generated(case: Any) -> None:
            check(case)

        generated()
    assert len(fields) >= 7, fields
    assert len(SENT) >= 5 * EXAMPLES_PER_FIELD, "a few hundred generated queries were sent"


# -- a hypothesis fuzzer of whole requests: bodies, GET parameters, headers ----------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_member = st.sampled_from(["query", "variables", "extensions", "operationName", "persistedQuery"])
_request_object = st.dictionaries(_member, _json | st.just("{ sources { name } }"), max_size=4)
_bodies = st.one_of(
    st.binary(max_size=300),
    _json.map(lambda v: json.dumps(v).encode()),
    _request_object.map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=1, max_value=3_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=3_000).map(
        lambda n: (
            b'{"query": "{ sources { name } }", "variables": {"v": ' + b"[" * n + b"]" * n + b"}}"
        )
    ),
    st.text(max_size=60).map(lambda t: json.dumps({"query": t}).encode()),
    st.just(b'{"query": "{ sources { name } } \\ud800"}'),
)
_header_value = st.text(
    st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=40
)
_headers = st.fixed_dictionaries(
    {},
    optional={
        "content-type": st.sampled_from(
            [
                "application/json",
                "application/graphql-response+json",
                "text/plain",
                "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded",
                "",
                "a/b; c",
            ]
        )
        | _header_value,
        "accept": _header_value,
        "cache-control": _header_value,
        "x-upstream-stats": _header_value,
        "authorization": _header_value,
    },
)
_params = st.dictionaries(
    st.sampled_from(["query", "variables", "extensions", "operationName"]),
    st.text(max_size=40) | st.integers(1, 2_000).map(lambda n: "[" * n),
    max_size=3,
)


def test_fuzzed_requests_answer_coded_errors(live_gateway: str) -> None:
    with httpx.Client(timeout=20) as client:

        @given(
            method=st.sampled_from(["GET", "POST"]), body=_bodies, headers=_headers, params=_params
        )
        @settings(
            max_examples=150,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzzed(
            method: str, body: bytes, headers: dict[str, str], params: dict[str, str]
        ) -> None:
            # Header values go as latin-1 bytes, as a raw client can send them.
            raw = {k: v.strip(" \t").encode("latin-1") for k, v in headers.items()}
            raw["X-API-Key"] = KEY_A.encode()
            content = body if method == "POST" else None
            resp = client.request(method, live_gateway, content=content, headers=raw, params=params)
            assert resp.status_code < 500, resp.text
            if resp.status_code >= 400 or "json" in resp.headers.get("content-type", ""):
                answer = resp.json()
                for error in answer.get("errors") or []:
                    assert error.get("extensions", {}).get("code"), error
            assert "Traceback" not in resp.text

        fuzzed()
