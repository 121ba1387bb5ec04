"""Memory is bounded by bytes: parsed documents (with their validation), APQ registrations and
kept answers each stay under their `[limits]` budget, and a flood of large unique documents
leaves the process's RSS within the budgets plus a stated slack."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator

import httpx
import psutil
import pytest
from graphql import parse

from benchmarks.abuse import apq_body, flood, large_document
from gateway.app import create_app
from gateway.emulator.server import LoopbackServer
from gateway.policy.documents import DocumentCache, document_bytes, documents_for
from gateway.policy.persisted import MemoryPersistedQueryStore, PersistedQueries
from tests.conftest import Upstreams, settings_for

MiB = 1024 * 1024
#: What the process may grow by beyond the budgets during a flood: allocator arenas, the
#: request objects in flight, logging, metrics' label sets. (With Strawberry's 128-entry caches
#: the same flood grew it by ~100 MiB: 60 parsed documents of ~1.7 MiB each, kept.)
SLACK = 40 * MiB


def test_a_parsed_document_costs_no_more_than_its_estimate() -> None:
    shapes = [
        "{ sources { name } }",
        large_document(1),
        "{ " + " ".join(f"a{i}: sources {{ name }}" for i in range(1000)) + " }",
        '{ a(b: "' + "x" * 100_000 + '") }',
    ]
    for query in shapes:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        document = parse(query)
        gc.collect()
        measured = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        assert document_bytes(query, document) >= measured, (len(query), measured)


def test_the_document_cache_is_bounded_by_bytes() -> None:
    cache = DocumentCache(8 * MiB)
    for i in range(12):
        cache.parse(large_document(i))
    assert 0 < len(cache) < 12 and cache.bytes <= cache.max_bytes
    # Too big for the whole budget: parsed and used, never kept.
    tiny = DocumentCache(1_000)
    assert tiny.parse(large_document(99)).definitions and len(tiny) == 0
    # A kept document is parsed once.
    query = "{ sources { name } }"
    assert cache.parse(query) is cache.parse(query)


async def test_persisted_queries_are_bounded_by_bytes() -> None:
    store = MemoryPersistedQueryStore(max_entries=10_000, max_bytes=100_000)
    for i in range(50):
        await store.put(f"{i:064x}", "x" * 10_000)
    assert store.bytes <= 100_000 and 5 <= len(store) < 50
    await store.put("f" * 64, "y" * 200_000)
    assert await store.get("f" * 64) is None, "over the whole budget: not kept"
    assert await store.get(f"{49:064x}") is not None, "the newest stay"


@pytest.fixture(scope="module")
def tight(upstreams: Upstreams) -> Iterator[tuple[str, object]]:
    budgets = {
        "document_cache_bytes": 4 * MiB,
        "persisted_query_bytes": 2 * MiB,
        "kept_answer_bytes": 2 * MiB,
        "queries_per_minute": 0,
        "cost_points_per_hour": 0,
        "upstream_rates": {},
    }
    app = create_app(settings_for(upstreams.url, limits=budgets))
    with LoopbackServer(app) as srv:
        yield f"{srv.url}/graphql", app


def test_a_flood_of_large_unique_documents_stays_within_the_budgets(
    tight: tuple[str, object],
) -> None:
    url, app = tight
    graphql = app.state.graphql  # type: ignore[attr-defined]
    limits = graphql.settings.limits
    budgets = limits.document_cache_bytes + limits.persisted_query_bytes + limits.kept_answer_bytes
    process = psutil.Process()
    with httpx.Client(timeout=60) as client:
        warm = flood(client, url, 0, 5)
        assert warm == {"200": 5}, warm
        gc.collect()
        before = process.memory_info().rss
        answered = flood(client, url, 5, 60)
        gc.collect()
        grown = process.memory_info().rss - before
        # Still answering, and a registered hash still runs while it is kept.
        last = apq_body(large_document(64))
        by_hash = client.post(url, json={"extensions": last["extensions"]}).json()
    assert answered == {"200": 60}, answered
    assert by_hash["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY", by_hash  # it ran
    store = graphql.persisted.store
    assert (
        isinstance(graphql.persisted, PersistedQueries)
        and store.bytes <= limits.persisted_query_bytes
    )
    docs = documents_for(graphql.schema._schema, limits.document_cache_bytes)
    assert docs.bytes <= limits.document_cache_bytes
    assert graphql.responses.bytes <= limits.kept_answer_bytes
    assert grown <= budgets + SLACK, (
        f"RSS grew {grown / MiB:.0f} MiB (budgets {budgets / MiB:.0f} MiB)"
    )
