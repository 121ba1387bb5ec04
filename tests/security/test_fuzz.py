"""Schemathesis against the live gateway on loopback: generated queries for every root field
find no 5xx and no error without `extensions.code` (bounded: a few hundred queries)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

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
