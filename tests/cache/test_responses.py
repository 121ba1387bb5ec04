"""Kept answers: keyed by all that shapes them, never older than the data they were built from."""

from __future__ import annotations

import time

from gateway.cache.responses import ResponseCache, response_key
from tests.cache.test_policy import RUN, run_with_status
from tests.conftest import Gateway


def test_keys_cover_query_operation_variables_and_credentials() -> None:
    base = response_key("{ a }", None, {"x": 1, "y": 2}, {"authorization": "Bearer k1"})
    assert base == response_key("{ a }", None, {"y": 2, "x": 1}, {"authorization": "Bearer k1"})
    assert base != response_key("{ b }", None, {"x": 1, "y": 2}, {"authorization": "Bearer k1"})
    assert base != response_key("{ a }", "Op", {"x": 1, "y": 2}, {"authorization": "Bearer k1"})
    assert base != response_key("{ a }", None, {"x": 2, "y": 2}, {"authorization": "Bearer k1"})
    assert base != response_key("{ a }", None, {"x": 1, "y": 2}, {"authorization": "Bearer k2"})
    assert base != response_key("{ a }", None, {"x": 1, "y": 2}, {"x-api-key": "Bearer k1"})
    assert response_key(None, None, None, None) is None


def test_kept_until_expiry_and_bounded() -> None:
    cache = ResponseCache(max_entries=2, max_bytes=1_000)
    now = time.monotonic()

    def keep(key: str, data: object, expires: float) -> None:
        cache.keep(key, data, None, 3, ["aws"], expires)

    def got(key: str) -> object:
        kept = cache.get(key)
        return None if kept is None else kept.decode()[0]

    keep("a", {"x": "A"}, now + 60)
    keep("gone", "G", now - 1)
    assert got("a") == {"x": "A"} and got("gone") is None
    kept = cache.get("a")
    assert kept is not None and (kept.estimate, kept.sources) == (3, ["aws"])
    keep("b", "B", now + 60)
    keep("c", "C", now + 60)
    assert len(cache) == 2 and got("a") is None, "least recently used went first"
    keep("big", "X" * 1_000, now + 60)
    assert got("big") is None, "over the byte budget (its encoding counts)"
    assert cache.bytes <= 1_000
    keep("d", "D", now + 0.05)
    time.sleep(0.06)
    assert got("d") is None


async def test_an_answer_is_reused_then_dropped_with_its_data(gateway: Gateway) -> None:
    run = run_with_status(gateway, "RUNNING")  # live: its record keeps 5 s by default
    responses = gateway.app.state.graphql.responses
    first = await gateway.data(RUN, run=run)
    assert len(responses) == 1
    assert await gateway.data(RUN, run=run) == first
    assert gateway.calls() == {"omics:GetRun": 1}
    other = await gateway.query(RUN, run="1234567")  # NOT_FOUND: answers with errors are not kept
    assert other["errors"]
    assert len(responses) == 1


async def test_an_answer_expires_with_its_shortest_lived_input(gateway: Gateway) -> None:
    run = run_with_status(gateway, "RUNNING")
    await gateway.data(RUN, run=run)
    key = next(iter(gateway.app.state.graphql.responses._data))
    expires_at = gateway.app.state.graphql.responses._data[key][0]
    assert 0 < expires_at - time.monotonic() <= 5.0, "no longer than the live TTL"
