"""`/metrics` after real queries: upstream calls equal the emulator's own count."""

from __future__ import annotations

from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

from gateway.observability import hooks
from gateway.observability.metrics import Metrics
from gateway.ratelimit import MemoryRateLimiter
from tests.conftest import Gateway
from tests.schema.test_tree import TREE

LISTINGS = {"ListBatch", "ListRunsInBatch", "ListRuns", "ListRunTasks"}


async def _scrape(gw: Gateway) -> dict[str, list[tuple[dict[str, str], float]]]:
    resp = await gw.client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            samples.setdefault(s.name, []).append((s.labels, s.value))
    return samples


def _sum_by(samples: list[tuple[dict[str, str], float]], label: str) -> Counter[str]:
    totals: Counter[str] = Counter()
    for labels, value in samples:
        totals[labels[label]] += int(value)
    return totals


def busy_batch(gw: Gateway) -> str:
    """A batch whose tree reaches every level: runs, and tasks under them."""
    ho = gw.emulator.healthomics
    for batch_id in ho.batch_ids():
        runs = [s["runId"] for s in ho.runs_in_batch(batch_id) if s.get("runId")]
        if any(ho.tasks(r) for r in runs):
            return str(batch_id)
    raise AssertionError("the small dataset has a batch with tasks")


async def test_upstream_calls_equal_the_emulator_count(gateway: Gateway) -> None:
    batch_id = busy_batch(gateway)
    gateway.reset_calls()
    await gateway.data(TREE, batch=batch_id)
    emulated = gateway.calls()
    assert emulated.get("omics:ListRunTasks"), "the tree query reaches the tasks"

    samples = await _scrape(gateway)
    calls = samples["gateway_upstream_calls_total"]
    assert {lb["outcome"] for lb, _ in calls} == {"ok"}
    assert {lb["source"] for lb, _ in calls} == {"aws"}
    by_operation = _sum_by(calls, "operation")
    assert {f"omics:{op}": n for op, n in by_operation.items()} == emulated

    latency = {lb["operation"]: v for lb, v in samples["gateway_upstream_call_seconds_count"]}
    assert {f"omics:{op}": int(n) for op, n in latency.items()} == emulated

    # Every listing page came through the page cache: a miss for each page fetched.
    misses = [v for lb, v in samples["gateway_cache_lookups_total"] if lb["result"] == "miss"]
    listed = sum(n for key, n in emulated.items() if key.split(":")[1] in LISTINGS)
    assert int(sum(misses)) == listed

    requests = samples["gateway_graphql_requests_total"]
    assert requests == [({"operation": "Tree", "outcome": "success"}, 1.0)]


async def test_errors_counted_by_code(gateway: Gateway) -> None:
    body = await gateway.query('query Missing { batch(source: "aws", id: "9999999") { name } }')
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    await gateway.query("query Broken { nope }")

    samples = await _scrape(gateway)
    errors = {lb["code"]: v for lb, v in samples["gateway_graphql_errors_total"]}
    assert errors == {"NOT_FOUND": 1.0, "BAD_USER_INPUT": 1.0}
    requests = {
        (lb["operation"], lb["outcome"]): v for lb, v in samples["gateway_graphql_requests_total"]
    }
    assert requests == {("Missing", "partial"): 1.0, ("Broken", "error"): 1.0}
    calls = {
        (lb["operation"], lb["outcome"]): v for lb, v in samples["gateway_upstream_calls_total"]
    }
    assert calls == {("GetBatch", "NOT_FOUND"): 1.0}


async def test_rate_limit_waits_and_breaker_state_are_exposed() -> None:
    metrics = Metrics()
    limiter = MemoryRateLimiter()
    with hooks.bind(hooks.Observation(sinks=[metrics])):
        waited = [await limiter.acquire("acct:DescribeRuns", rate=200.0, burst=1) for _ in range(3)]
        hooks.breaker_state("tencent", "open")
    assert waited[0] == 0 and all(w > 0 for w in waited[1:])
    text = metrics.render().decode()
    assert 'gateway_rate_limit_waits_total{key="acct:DescribeRuns"} 2.0' in text
    assert 'gateway_breaker_state{source="tencent",state="open"} 1.0' in text
    assert 'gateway_breaker_state{source="tencent",state="closed"} 0.0' in text


async def test_an_answer_from_the_kept_answers_is_still_counted(gateway: Gateway) -> None:
    """Under load most answers come from the kept answers: they are requests like any other in
    `gateway_graphql_requests_total` and its latency histogram, with no upstream call."""
    batch_id = busy_batch(gateway)
    first = await gateway.data(TREE, batch=batch_id)
    gateway.reset_calls()
    assert await gateway.data(TREE, batch=batch_id) == first
    assert gateway.calls() == {}, "the second answer was kept"

    samples = await _scrape(gateway)
    assert samples["gateway_graphql_requests_total"] == [
        ({"operation": "Tree", "outcome": "success"}, 2.0)
    ]
    timed = {lb["operation"]: v for lb, v in samples["gateway_graphql_request_seconds_count"]}
    assert timed == {"Tree": 2.0}
