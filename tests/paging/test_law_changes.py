"""The paging law while upstream lists change between client requests, on every connection kind.

A stateful property: each example is one walk through the gateway (real clients, real wire
protocols, the emulator on loopback) over one connection — forward or backward, turning back at
random — while the emulator's control API inserts bursts at the head and deletes items at,
before and after the walk's cursor, or the cursor's own item by id. With and without the page
cache. Every page is checked against the law (tests/paging/law_model.py). `CURSOR_EXPIRED` is
accepted only beyond the bound: the cursor's item and both its neighbours deleted.

Bounded for the suite; a longer profile by hand (see docs/cursors.md):
    PAGING_LAW_EXAMPLES=200 PAGING_LAW_STEPS=60 .venv/bin/pytest -q -s tests/paging/test_law_changes.py
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import Phase as Phase_
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)

from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.lists import editables
from gateway.emulator.server import LoopbackServer
from tests.conftest import Gateway, Upstreams, open_gateway, settings_for
from tests.paging.law_model import LawBroken, Order, Phase, check_page

EXAMPLES = int(os.environ.get("PAGING_LAW_EXAMPLES", "4"))
STEPS = int(os.environ.get("PAGING_LAW_STEPS", "14"))
STATS: Counter[str] = Counter()

PAGE_ARGS = "first: $first, after: $after, last: $last, before: $before"
VARS = "$first: Int, $after: String, $last: Int, $before: String"
INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"


@dataclass(frozen=True)
class Kind:
    """One connection kind: the listing behind it and how to page it through GraphQL."""

    name: str
    service: str
    listing: str
    parent: Callable[[Emulator], str]
    query: str
    path: tuple[str, ...]
    variables: Callable[[Emulator], dict[str, Any]]
    max_size: int
    id_field: str = "nativeId"


def _node(field: str = "nativeId") -> str:
    return f"edges {{ node {{ {field} }} }}"


def _tasks_run(emu: Emulator) -> str:
    ho = emu.healthomics
    runs = [r for r in ho.all_runs() if r["status"] == "COMPLETED"]
    return str(max(runs, key=lambda r: len(ho.tasks(r["id"])))["id"])


def _batch(emu: Emulator) -> str:
    ho = emu.healthomics
    return max(ho.batch_ids(), key=lambda b: len(ho.runs_in_batch(b)))


def _group(emu: Emulator) -> str:
    groups = sorted(emu.tencent.run_groups(), key=lambda g: g["TotalRun"])
    return str(groups[len(groups) // 2]["RunGroupId"])


def _job(emu: Emulator) -> str:
    return "/".join(emu.datazone.busy_job)


KINDS = [
    Kind(
        "healthomics batches", "omics", "ListBatch", lambda e: "",
        f'query({VARS}) {{ batches(source: "aws", {PAGE_ARGS}) {{ {INFO} {_node()} }} }}',
        ("batches",), lambda e: {}, 4,
    ),
    Kind(
        "healthomics batch runs", "omics", "ListRunsInBatch", _batch,
        f'query({VARS}, $id: String!) {{ batch(source: "aws", id: $id) {{ '
        f"runs({PAGE_ARGS}) {{ {INFO} edges {{ submission {{ runSettingId }} }} }} }} }}",
        ("batch", "runs"), lambda e: {"id": _batch(e)}, 3, "runSettingId",
    ),
    Kind(
        "healthomics runs", "omics", "ListRuns", lambda e: "",
        f'query({VARS}) {{ runs(source: "aws", {PAGE_ARGS}) {{ {INFO} {_node()} }} }}',
        ("runs",), lambda e: {}, 8,
    ),
    Kind(
        "healthomics tasks", "omics", "ListRunTasks", _tasks_run,
        f'query({VARS}, $id: String!) {{ run(source: "aws", id: $id) {{ '
        f"tasks({PAGE_ARGS}) {{ {INFO} {_node()} }} }} }}",
        ("run", "tasks"), lambda e: {"id": _tasks_run(e)}, 40,
    ),
    Kind(
        "tencent run groups", "tencent", "DescribeRunGroups", lambda e: "",
        f'query({VARS}) {{ batches(source: "tencent", {PAGE_ARGS}) {{ {INFO} {_node()} }} }}',
        ("batches",), lambda e: {}, 2,
    ),
    Kind(
        "tencent runs", "tencent", "DescribeRuns", lambda e: "",
        f'query({VARS}) {{ runs(source: "tencent", {PAGE_ARGS}) {{ {INFO} {_node()} }} }}',
        ("runs",), lambda e: {}, 40,
    ),
    Kind(
        "tencent run group runs", "tencent", "DescribeRuns", _group,
        f'query({VARS}, $id: String!) {{ batch(source: "tencent", id: $id) {{ '
        f"runs({PAGE_ARGS}) {{ {INFO} {_node()} }} }} }}",
        ("batch", "runs"), lambda e: {"id": _group(e)}, 6,
    ),
    Kind(
        "datazone job runs", "datazone", "ListJobRuns", _job,
        f'query({VARS}, $id: String!) {{ dataZoneJob(source: "datazone", id: $id) {{ '
        f"runs({PAGE_ARGS}) {{ {INFO} {_node()} }} }} }}",
        ("dataZoneJob", "runs"), lambda e: {"id": _job(e).split("/")[1]}, 35,
    ),
]  # fmt: skip

change = st.one_of(
    st.none(),
    st.tuples(st.just("insert"), st.integers(1, 9), st.just(0)),
    st.tuples(st.sampled_from(["at", "before", "after"]), st.integers(-3, 3), st.integers(1, 2)),
    st.tuples(st.just("cursor"), st.just(0), st.just(0)),
)


@pytest.fixture(scope="module")
def world(upstreams: Upstreams) -> Iterator[Upstreams]:
    """An emulator of this module's own: its lists are changed, the shared one's never are
    (`upstreams` sets the clients' credentials for the emulator)."""
    emu = create_emulator(seed=7, scale="small", quotas=False)
    with LoopbackServer(emu.app) as srv:
        yield Upstreams(srv.url, emu)
    if os.environ.get("PAGING_LAW_STATS"):
        with open(os.environ["PAGING_LAW_STATS"], "w") as out:
            json.dump(dict(STATS), out, indent=1)
    print(f"\npaging law under change: {dict(STATS)}")


class Walk(RuleBasedStateMachine):
    """One walk over one connection while its upstream list changes."""

    world: Upstreams
    kind: Kind
    cached: bool

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.stack = contextlib.AsyncExitStack()
        self.control = httpx.Client(base_url=self.world.url, timeout=30)
        self.control.delete("/_emulator/lists").raise_for_status()
        emu = self.world.emulator
        self.truth = editables(emu)[self.kind.service]
        self.parent = self.kind.parent(emu)
        self.variables = self.kind.variables(emu)
        gateway = contextlib.asynccontextmanager(open_gateway)
        self.gw: Gateway = self.runner.run(
            self.stack.enter_async_context(gateway(self.world, settings_for(self.world.url)))
        )
        self.order = Order(self.ids())
        self.cursor: str | None = None
        self.item: str | None = None  # the cursor's item
        self.views = [self.order.ids[:]]  # every state of the list during the walk
        self.phase = Phase(True, set())
        self.log: list[str] = []  # what this walk did, for the failure message

    def ids(self) -> list[str]:
        return self.truth.ids(self.kind.listing, self.parent)

    @initialize(forward=st.booleans(), seed=st.integers(0, 2**32))
    def begin(self, forward: bool, seed: int) -> None:
        STATS["walks"] += 1
        STATS[f"walks: {self.kind.name}"] += 1
        self.phase = Phase(forward, set(self.ids()))
        # Turning back is the rarer move; Hypothesis favours edge values, so a seeded rhythm.
        self.rng = random.Random(seed)

    @rule(size=st.integers(1, 100), before=change)
    def page(self, size: int, before: tuple[str, int, int] | None) -> None:
        """Maybe change the list, maybe turn back, then ask for the next page."""
        if before is not None:
            self.change(*before)
        if self.cursor is not None and (self.phase.ended or self.rng.random() < 0.15):
            self.turn()
        if self.phase.ended:
            return
        size = 1 + (size - 1) % self.kind.max_size
        forward = self.phase.forward
        page = {"first": None, "after": None, "last": None, "before": None}
        page.update(
            {"first": size, "after": self.cursor}
            if forward
            else {"last": size, "before": self.cursor}
        )
        body = self.runner.run(self.query(page))
        STATS["pages"] += 1
        if body.get("errors"):
            self.expired(body["errors"])
            return
        conn = body["data"]
        for part in self.kind.path:
            conn = conn[part]
        got = [self.item_id(e) for e in conn["edges"]]
        info = conn["pageInfo"]
        more = info["hasNextPage" if forward else "hasPreviousPage"]
        self.log.append(f"{'first' if forward else 'last'} {size} → {got} more={more}")
        try:
            check_page(self.order, self.phase, got, more)
        except LawBroken as exc:
            raise LawBroken(f"{exc}\nwalk:\n  " + "\n  ".join(self.log)) from None
        if got:
            self.cursor = info["endCursor" if forward else "startCursor"]
            self.item = got[-1] if forward else got[0]

    async def query(self, page: dict[str, Any]) -> dict[str, Any]:
        headers = {} if self.cached else {"Cache-Control": "no-cache"}
        payload = {"query": self.kind.query, "variables": {**self.variables, **page}}
        resp = await self.gw.client.post("/graphql", json=payload, headers=headers)
        assert resp.status_code == 200, resp.text
        result: dict[str, Any] = resp.json()
        return result

    def item_id(self, edge: dict[str, Any]) -> str:
        if self.kind.id_field == "runSettingId":
            return str(edge["submission"]["runSettingId"])
        return str(edge["node"]["nativeId"])

    def expired(self, errors: list[dict[str, Any]]) -> None:
        """CURSOR_EXPIRED is the right answer only beyond the bound: the cursor's item and both
        its neighbours, in the view its cursor was made from, gone. That view may be any list
        this walk has seen (the page cache keeps pages a few seconds), so: in some such view."""
        codes = {e.get("extensions", {}).get("code") for e in errors}
        assert codes == {"CURSOR_EXPIRED"}, errors
        now = set(self.ids())
        item = self.item
        views = [v for v in self.views if item in v]
        beyond = item not in now and any(
            all(n is None or n not in now for n in _neighbours(v, item)) for v in views
        )
        if not beyond:
            raise LawBroken(
                f"CURSOR_EXPIRED within the bound: {errors[0]['message']}; item {item}, "
                f"listed now {sorted(now)}\nwalk:\n  " + "\n  ".join(self.log)
            )
        assert "no longer listed" in errors[0]["message"], errors
        STATS["expired beyond the bound"] += 1
        STATS[f"expired beyond the bound: {self.kind.name}"] += 1
        self.phase.ended = True

    def change(self, what: str, offset: int, count: int) -> None:
        STATS["changes"] += 1
        ids = self.ids()
        target = {"service": self.kind.service, "listing": self.kind.listing, "parent": self.parent}
        if what == "insert":
            if not ids:
                return  # new items are copies of the first one: an emptied list stays empty
            resp = self.control.post("/_emulator/lists", json={**target, "insert": offset})
            resp.raise_for_status()
            self.order.insert_head(resp.json()["inserted"])
            self.log.append(f"insert {resp.json()['inserted']}")
            self.views.append(resp.json()["ids"])
            return
        if not ids:
            return
        item = self.item
        if what == "cursor":
            if item is None or item not in ids:
                return
            body: dict[str, Any] = {"ids": [item]}
        else:
            here = ids.index(item) if item in ids else 0
            body = {what: max(0, min(len(ids) - 1, here + offset)), "count": count}
        resp = self.control.post("/_emulator/lists", json={**target, **body})
        resp.raise_for_status()
        self.phase.deleted.update(resp.json()["deleted"])
        self.log.append(f"delete {body} → {resp.json()['deleted']}")
        self.views.append(resp.json()["ids"])

    def turn(self) -> None:
        """Page back the other way from the cursor's item: a new phase of the walk."""
        STATS["turns"] += 1
        self.log.append(f"turn at {self.item}")
        old = self.phase
        # The law speaks of items present for the whole walk: a turned phase keeps the walk's.
        self.phase = Phase(not old.forward, old.present, start=self.item, deleted=old.deleted)

    def teardown(self) -> None:
        self.runner.run(self.stack.aclose())
        self.runner.close()
        self.control.close()


def _neighbours(ids: list[str], item: str | None) -> tuple[str | None, str | None]:
    at = ids.index(item) if item in ids else None
    if at is None:
        return None, None
    return (ids[at - 1] if at else None), (ids[at + 1] if at + 1 < len(ids) else None)


def _machine(kind: Kind, cached: bool, world: Upstreams) -> type[Walk]:
    machine = type(f"Walk_{kind.name.replace(' ', '_')}", (Walk,), {})
    machine.world, machine.kind, machine.cached = world, kind, cached
    machine.TestCase.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=list(Phase_)
        if os.environ.get("PAGING_LAW_SHRINK", "1") == "1"
        else [Phase_.generate],
    )
    return machine


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "page-cache"])
@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_walks_keep_the_law_while_the_list_changes(
    world: Upstreams, kind: Kind, cached: bool
) -> None:
    machine = _machine(kind, cached, world)
    run_state_machine_as_test(machine, settings=machine.TestCase.settings)
