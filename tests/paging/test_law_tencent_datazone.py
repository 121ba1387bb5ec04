"""The cursor law on the Tencent and DataZone connections, under hostile upstream paging.

Random sequences of `first/after` and `last/before` moves with random sizes: every window is
exactly the upstream slice next to the previous one, so each item comes once, in upstream
order, and hasNextPage/hasPreviousPage are never wrong at the ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.clouds.tencent.provider import TencentOmicsProvider
from tests.conftest import Gateway, Upstreams, open_gateway, settings_for

HOSTILE = {"short_pages": True, "empty_pages": True, "token_on_last_page": True}
PAGE_ARGS = "first: $first, after: $after, last: $last, before: $before"
VARS = "$first: Int, $after: String, $last: Int, $before: String"
PAGE = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { nativeId } }"


@dataclass(frozen=True)
class Case:
    """One connection: its query, where it sits in the answer, upstream truth and faults."""

    name: str
    query: str
    path: tuple[str, ...]
    variables: dict[str, Any]
    truth: list[str]
    faults: tuple[tuple[str, str], ...]


def cases(up: Upstreams) -> list[Case]:
    tc = up.emulator.tencent
    dz = up.emulator.datazone
    big_group = max(tc.run_groups(), key=lambda g: g["TotalRun"])["RunGroupId"]
    busy_run = max(tc.runs(), key=lambda r: len(tc.calls(r["RunUuid"])))["RunUuid"]
    domain, job = dz.busy_job

    def segment(call: dict[str, Any]) -> str:
        idx = call["ScatterIndex"]
        return f"{call['CallName']}:{idx}" if idx else str(call["CallName"])

    return [
        Case(
            "tencent run group runs",
            f'query({VARS}, $id: String!) {{ batch(source: "tencent", id: $id) {{ '
            f"runs({PAGE_ARGS}) {{ {PAGE} }} }} }}",
            ("batch", "runs"),
            {"id": big_group},
            [r["RunUuid"] for r in tc.runs(run_group_id=big_group)],
            (("tencent", "DescribeRuns"),),
        ),
        Case(
            "tencent run calls",
            f'query({VARS}, $id: String!) {{ run(source: "tencent", id: $id) {{ '
            f"tasks({PAGE_ARGS}) {{ {PAGE} }} }} }}",
            ("run", "tasks"),
            {"id": busy_run},
            [f"{busy_run}/{segment(c)}" for c in tc.calls(busy_run)],
            (("tencent", "GetRunCalls"), ("tencent", "DescribeRuns")),
        ),
        Case(
            "datazone job runs",
            f'query({VARS}, $id: String!) {{ dataZoneJob(source: "datazone", id: $id) {{ '
            f"runs({PAGE_ARGS}) {{ {PAGE} }} }} }}",
            ("dataZoneJob", "runs"),
            {"id": job},
            [r["runId"] for r in dz.job_runs(domain, job)],
            (("datazone", "ListJobRuns"),),
        ),
    ]


async def fetch(gw: Gateway, case: Case, **page: Any) -> dict[str, Any]:
    variables: dict[str, Any] = {"first": None, "after": None, "last": None, "before": None}
    variables.update(case.variables)
    variables.update(page)
    data = await gw.data(case.query, **variables)
    for part in case.path:
        data = data[part]
    return data


class Walk:
    """Where the client stands: the window [lo, hi) of the truth it last saw, and its cursors."""

    def __init__(self, gw: Gateway, case: Case) -> None:
        self.gw, self.case, self.n = gw, case, len(case.truth)
        self.lo = self.hi = 0
        self.start: str | None = None
        self.end: str | None = None

    def _see(self, conn: dict[str, Any], lo: int, hi: int) -> None:
        got = [e["node"]["nativeId"] for e in conn["edges"]]
        assert got == self.case.truth[lo:hi], (self.case.name, lo, hi)
        self.lo, self.hi = lo, hi
        self.start = conn["pageInfo"]["startCursor"]
        self.end = conn["pageInfo"]["endCursor"]

    async def first(self, size: int) -> None:
        conn = await fetch(self.gw, self.case, first=size)
        info = conn["pageInfo"]
        assert info["hasPreviousPage"] is False
        assert info["hasNextPage"] is (size < self.n)
        self._see(conn, 0, min(size, self.n))

    async def last(self, size: int) -> None:
        conn = await fetch(self.gw, self.case, last=size)
        info = conn["pageInfo"]
        assert info["hasNextPage"] is False
        assert info["hasPreviousPage"] is (size < self.n)
        self._see(conn, max(0, self.n - size), self.n)

    async def forward(self, size: int) -> None:
        conn = await fetch(self.gw, self.case, first=size, after=self.end)
        info = conn["pageInfo"]
        assert info["hasPreviousPage"] is True
        assert info["hasNextPage"] is (self.hi + size < self.n)
        self._see(conn, self.hi, min(self.hi + size, self.n))

    async def backward(self, size: int) -> None:
        conn = await fetch(self.gw, self.case, last=size, before=self.start)
        info = conn["pageInfo"]
        assert info["hasNextPage"] is True
        assert info["hasPreviousPage"] is (self.lo - size > 0)
        self._see(conn, max(0, self.lo - size), self.lo)


@pytest.fixture(scope="module")
async def law_gateway(upstreams: Upstreams) -> AsyncIterator[Gateway]:
    # The quota is not under test here; hostile short pages would make it the whole runtime.
    fast = settings_for(upstreams.url, limits={"tencent_requests_per_second": 1000})
    async for gw in open_gateway(upstreams, fast):
        yield gw


def _forget_pages(gw: Gateway) -> None:
    """Each example meets upstream afresh: no page the gateway kept from the previous one."""
    upstream = gw.app.state.upstream
    upstream.cache.backend.clear()
    for provider in upstream.providers.values():
        if isinstance(provider, TencentOmicsProvider):
            provider._calls.backend.clear()


sizes = st.one_of(st.integers(1, 7), st.sampled_from([49, 50, 51, 99, 100]))
moves = st.lists(st.tuples(st.booleans(), sizes), min_size=1, max_size=6)


@pytest.mark.parametrize("case_index", range(3), ids=["tc-runs", "tc-calls", "dz-runs"])
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(start_last=st.booleans(), start=sizes, steps=moves, finish=st.sampled_from([13, 50, 100]))
async def test_random_moves_meet_upstream_exactly(
    law_gateway: Gateway,
    case_index: int,
    start_last: bool,
    start: int,
    steps: list[tuple[bool, int]],
    finish: int,
) -> None:
    gw = law_gateway
    faults = gw.emulator.faults
    faults.reset(quotas=False)
    case = cases(gw.upstreams)[case_index]
    for service, operation in case.faults:
        faults.configure(service, operation, **HOSTILE)
    _forget_pages(gw)
    try:
        walk = Walk(gw, case)
        await (walk.last(start) if start_last else walk.first(start))
        for backward, size in steps:
            if backward and walk.lo > 0:
                await walk.backward(size)
            elif walk.hi < walk.n:
                await walk.forward(size)
        # Finish at both ends, so every example checks pageInfo where it is most often wrong.
        while walk.hi < walk.n:
            await walk.forward(finish)
        while walk.lo > 0:
            await walk.backward(finish)
    finally:
        faults.reset(quotas=False)
