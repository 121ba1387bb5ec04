"""`extensions.upstream`: what a query cost upstream, only for clients that ask."""

from __future__ import annotations

from typing import Any

from tests.conftest import Gateway
from tests.observability.test_metrics import LISTINGS, busy_batch
from tests.observability.test_tracing import TREE


async def _tree(gw: Gateway, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    batch_id = busy_batch(gw)
    payload = {"query": TREE, "variables": {"batch": batch_id}, **extra}
    resp = await gw.client.post("/graphql", json=payload, headers=headers)
    body: dict[str, Any] = resp.json()
    assert not body.get("errors"), body
    return body


async def test_absent_unless_asked(gateway: Gateway) -> None:
    body = await _tree(gateway, {})
    assert "upstream" not in (body.get("extensions") or {})


async def test_header_opt_in_counts_what_the_emulator_answered(gateway: Gateway) -> None:
    gateway.reset_calls()
    body = await _tree(gateway, {"X-Upstream-Stats": "1"})
    stats = body["extensions"]["upstream"]
    emulated = gateway.calls()
    assert stats["calls"] == sum(emulated.values())
    aws = stats["sources"]["aws"]
    assert {f"omics:{op}": n for op, n in aws["operations"].items()} == emulated
    assert aws["errors"] == 0
    assert aws["timeMs"] > 0 and stats["timeMs"] == aws["timeMs"]
    listed = sum(n for key, n in emulated.items() if key.split(":")[1] in LISTINGS)
    assert aws["cacheMisses"] == listed


async def test_body_opt_in_and_cache_hits(gateway: Gateway) -> None:
    await _tree(gateway, {})
    gateway.reset_calls()
    body = await _tree(gateway, {}, extensions={"upstreamStats": True})
    stats = body["extensions"]["upstream"]
    # The same tree again: every listing page is a page-cache hit, entities are fetched anew.
    aws = stats["sources"]["aws"]
    assert aws["cacheHits"] > 0 and aws["cacheMisses"] == 0
    assert stats["calls"] == sum(gateway.calls().values())
    assert set(aws["operations"]) <= {"GetBatch", "GetRun"}
