"""The cursor law on every HealthOmics connection, as a property over hostile upstream paging.

Walking a connection with any sequence of page sizes, forward or backward, yields every upstream
item exactly once, in upstream order, and pageInfo is never wrong at the ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Gateway, Upstreams, open_gateway, settings_for

HOSTILE = {"short_pages": True, "empty_pages": True, "token_on_last_page": True}
OPERATIONS = ("ListBatch", "ListRunsInBatch", "ListRuns", "ListRunTasks")


@dataclass(frozen=True)
class Case:
    """One connection: the query reaching it, the path to it, and the upstream truth."""

    name: str
    query: str
    path: tuple[str, ...]
    variables: dict[str, Any]
    truth: list[str]


PAGE_ARGS = "first: $first, after: $after, last: $last, before: $before"
VARS = "$first: Int, $after: String, $last: Int, $before: String"
PAGE = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor "


def cases(up: Upstreams) -> list[Case]:
    ho = up.emulator.healthomics
    big_run = max(
        ho.all_runs(), key=lambda r: len(ho.tasks(r["id"])) if r["status"] != "DELETED" else 0
    )
    big_batch = max(ho.batch_ids(), key=lambda b: len(ho.runs_in_batch(b)))
    return [
        Case(
            "tasks",
            f'query({VARS}, $run: String!) {{ run(source: "aws", id: $run) {{ '
            f"tasks({PAGE_ARGS}) {{ {PAGE} node {{ nativeId }} }} }} }} }}",
            ("run", "tasks"),
            {"run": big_run["id"]},
            [t["taskId"] for t in ho.tasks(big_run["id"])],
        ),
        Case(
            "batch runs",
            f'query({VARS}, $batch: String!) {{ batch(source: "aws", id: $batch) {{ '
            f"runs({PAGE_ARGS}) {{ {PAGE} submission {{ runSettingId }} }} }} }} }}",
            ("batch", "runs"),
            {"batch": big_batch},
            [s["runSettingId"] for s in ho.runs_in_batch(big_batch)],
        ),
        Case(
            "runs",
            f'query({VARS}) {{ runs(source: "aws", {PAGE_ARGS}) {{ {PAGE} node {{ nativeId }} }} }} }}',
            ("runs",),
            {},
            [r["id"] for r in ho.runs()],
        ),
        Case(
            "batches",
            f'query({VARS}) {{ batches(source: "aws", {PAGE_ARGS}) {{ {PAGE} node {{ nativeId }} }} }} }}',
            ("batches",),
            {},
            [b["id"] for b in ho.batches()],
        ),
    ]


def item_key(edge: dict[str, Any]) -> str:
    if "submission" in edge:
        return str(edge["submission"]["runSettingId"])
    return str(edge["node"]["nativeId"])


async def fetch(gw: Gateway, case: Case, **page: Any) -> dict[str, Any]:
    variables = {"first": None, "after": None, "last": None, "before": None}
    variables.update(case.variables)
    variables.update(page)
    data = await gw.data(case.query, **variables)
    for part in case.path:
        data = data[part]
    return data


async def walk_forward(gw: Gateway, case: Case, sizes: list[int]) -> list[str]:
    seen: list[str] = []
    after = None
    for step in range(10_000):
        conn = await fetch(gw, case, first=sizes[step % len(sizes)], after=after)
        info = conn["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        seen.extend(item_key(e) for e in conn["edges"])
        if not info["hasNextPage"]:
            assert seen == case.truth[: len(seen)]
            return seen
        assert conn["edges"], "a page that says more follows returned nothing"
        after = info["endCursor"]
    raise AssertionError("walk did not end")


async def walk_backward(gw: Gateway, case: Case, sizes: list[int]) -> list[str]:
    seen: list[str] = []
    before = None
    for step in range(10_000):
        conn = await fetch(gw, case, last=sizes[step % len(sizes)], before=before)
        info = conn["pageInfo"]
        assert info["hasNextPage"] is (before is not None)
        seen[:0] = [item_key(e) for e in conn["edges"]]
        if not info["hasPreviousPage"]:
            return seen
        assert conn["edges"]
        before = info["startCursor"]
    raise AssertionError("walk did not end")


@pytest.fixture(scope="module")
async def law_gateway(upstreams: Upstreams) -> AsyncIterator[Gateway]:
    async for gw in open_gateway(upstreams, settings_for(upstreams.url)):
        yield gw


sizes_strategy = st.lists(
    st.one_of(st.integers(1, 7), st.sampled_from([50, 99, 100])), min_size=1, max_size=6
)


@pytest.mark.parametrize("case_index", range(4))
@pytest.mark.parametrize("hostile", [False, True], ids=["plain", "hostile"])
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(sizes=sizes_strategy, backward=st.booleans())
async def test_walk_yields_every_item_once_in_order(
    law_gateway: Gateway, case_index: int, hostile: bool, sizes: list[int], backward: bool
) -> None:
    gw = law_gateway
    faults = gw.emulator.faults
    faults.reset(quotas=False)
    if hostile:
        for op in OPERATIONS:
            faults.configure("omics", op, **HOSTILE)
    case = cases(gw.upstreams)[case_index]
    try:
        walk = walk_backward if backward else walk_forward
        assert await walk(gw, case, sizes) == case.truth
    finally:
        faults.reset(quotas=False)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    forward_sizes=st.lists(st.integers(1, 30), min_size=1, max_size=4),
    back_size=st.integers(1, 40),
)
async def test_turning_back_mid_walk_meets_the_same_items(
    law_gateway: Gateway, forward_sizes: list[int], back_size: int
) -> None:
    """Page forward a few times, then `last/before` the current page: the items just before it."""
    gw = law_gateway
    faults = gw.emulator.faults
    for op in OPERATIONS:
        faults.configure("omics", op, **HOSTILE)
    try:
        case = cases(gw.upstreams)[0]
        after = None
        position = 0
        for size in forward_sizes:
            conn = await fetch(gw, case, first=size, after=after)
            if not conn["pageInfo"]["hasNextPage"]:
                break
            position += len(conn["edges"])
            after = conn["pageInfo"]["endCursor"]
        conn = await fetch(gw, case, first=1, after=after) if after else None
        if conn is None or not conn["edges"]:
            return
        start = conn["pageInfo"]["startCursor"]
        back = await fetch(gw, case, last=back_size, before=start)
        expected = case.truth[max(0, position - back_size) : position]
        assert [item_key(e) for e in back["edges"]] == expected
        assert back["pageInfo"]["hasPreviousPage"] is (position - back_size > 0)
        assert back["pageInfo"]["hasNextPage"] is True
    finally:
        faults.reset(quotas=False)


async def test_back_through_a_chain_of_tiny_pages_stays_within_the_walk_bound(
    law_gateway: Gateway,
) -> None:
    """`first: 1` walks leave a chain of one-item pages; `last: 100` back through it would need
    a hundred of them: the walker re-walks from the start in full pages instead."""
    gw = law_gateway
    gw.emulator.faults.reset(quotas=False)
    case = cases(gw.upstreams)[0]
    after = None
    cursors: list[str] = []
    for _ in range(len(case.truth)):
        conn = await fetch(gw, case, first=1, after=after)
        cursors.append(conn["pageInfo"]["endCursor"])
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    position = len(cursors) - 1
    back = await fetch(gw, case, last=100, before=cursors[position])
    assert [item_key(e) for e in back["edges"]] == case.truth[max(0, position - 100) : position]
