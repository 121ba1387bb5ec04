"""JSON logs: one object per line, each with the request id the client sees in the
`X-Request-Id` header and in every error's extensions."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import GraphQLError

from gateway.config import ObservabilityConfig
from gateway.observability.logs import configure_logging
from gateway.policy.errors import shape_error
from tests.conftest import Gateway


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging(ObservabilityConfig(log_format="json", log_level="INFO"), stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def _parse(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_request_id_in_header_error_and_log(gateway: Gateway, log_lines: io.StringIO) -> None:
    resp = await gateway.client.post(
        "/graphql", json={"query": 'query Missing { batch(source: "aws", id: "9999999") { name } }'}
    )
    request_id = resp.headers["x-request-id"]
    (error,) = resp.json()["errors"]
    assert error["extensions"] == {
        "code": "NOT_FOUND",
        "source": "aws",
        "provider": "HEALTHOMICS",
        "upstreamCode": "ResourceNotFoundException",
        "requestId": request_id,
    }
    lines = _parse(log_lines)
    (access,) = [line for line in lines if line["logger"] == "gateway.access"]
    assert access["request_id"] == request_id
    assert (access["method"], access["path"], access["status"]) == ("POST", "/graphql", 200)
    assert access["upstream_calls"] == 1
    assert {"time", "level", "message"} <= access.keys()


async def test_every_error_kind_carries_the_request_id(gateway: Gateway) -> None:
    for query in ("{ nope }", '{ node(id: "garbage") { id } }', "{ sources { name } "):
        resp = await gateway.client.post("/graphql", json={"query": query})
        request_id = resp.headers["x-request-id"]
        errors = resp.json()["errors"]
        assert errors and all(e["extensions"]["requestId"] == request_id for e in errors), errors


async def test_a_callers_request_id_is_kept_and_a_bad_one_replaced(gateway: Gateway) -> None:
    mine = "edge-proxy-1234abcd"
    resp = await gateway.client.get("/healthz", headers={"X-Request-Id": mine})
    assert resp.headers["x-request-id"] == mine
    resp = await gateway.client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert resp.headers["x-request-id"] != "bad id with spaces"
    assert len(resp.headers["x-request-id"]) == 32


async def test_internal_errors_are_logged_under_the_request_id(
    gateway: Gateway, log_lines: io.StringIO
) -> None:
    # Anything untyped is masked as INTERNAL; its stack trace goes to the log, under the id.
    shaped = shape_error(GraphQLError("boom", original_error=RuntimeError("x")), "rid-1")
    assert shaped.extensions == {"code": "INTERNAL", "requestId": "rid-1"}
    (line,) = [ln for ln in _parse(log_lines) if ln["logger"] == "gateway.errors"]
    assert "rid-1" in line["message"] and "RuntimeError" in line["exc_info"]
