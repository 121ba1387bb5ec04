"""searchRuns, runStats and catalog through the gateway over a synced emulator."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.catalog.database import make_engine
from gateway.catalog.records import run_row
from gateway.catalog.service import Catalog
from gateway.clouds.datazone.states import KIND as DZ_KIND
from gateway.clouds.healthomics.states import KIND as HO_KIND
from gateway.clouds.tencent.states import KIND as TC_KIND
from gateway.security.auth import hash_key
from tests.catalog.emulated import catalog_settings, private_emulator
from tests.conftest import DZ_SOURCE, HO_SOURCE, TC_SOURCE, Upstreams

KEY_HO = "rgw_catalog-ho-0123456789abcdefghijklmnopqrstuvwx"
KEY_ALL = "rgw_catalog-all-0123456789abcdefghijklmnopqrstuvw"
KINDS = {
    HO_SOURCE: HO_KIND,
    TC_SOURCE: TC_KIND,
    DZ_SOURCE: DZ_KIND,
}


@dataclass
class App:
    client: httpx.AsyncClient
    catalog: Catalog
    up: Upstreams

    async def query(self, query: str, key: str = KEY_ALL, **variables: Any) -> dict[str, Any]:
        resp = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"X-API-Key": key},
        )
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body

    async def data(self, query: str, key: str = KEY_ALL, **variables: Any) -> dict[str, Any]:
        body = await self.query(query, key, **variables)
        assert not body.get("errors"), body["errors"]
        result: dict[str, Any] = body["data"]
        return result


@pytest.fixture(scope="module")
def emulated(upstreams: Upstreams) -> Iterator[Upstreams]:
    with private_emulator() as up:
        yield up


@pytest.fixture(scope="module")
async def app(emulated: Upstreams, module_catalog_url: str) -> AsyncIterator[App]:
    settings = catalog_settings(emulated, module_catalog_url, sync=False)
    auth = {
        "mode": "api_key",
        "api_keys": [
            {"name": "ho", "sha256": hash_key(KEY_HO), "sources": [HO_SOURCE]},
            {"name": "all", "sha256": hash_key(KEY_ALL), "sources": ["*"]},
        ],
    }
    settings = settings.model_copy(update={"auth": type(settings.auth).model_validate(auth)})
    gateway = create_app(settings)
    async with gateway.router.lifespan_context(gateway):
        catalog: Catalog = gateway.state.catalog
        await catalog.sync_once()
        transport = httpx.ASGITransport(app=gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            yield App(client, catalog, emulated)


def truth(app: App) -> dict[str, list[Any]]:
    """Normalised ground truth rows per source, from the emulator's own data."""
    emu, settings = app.up.emulator, app.catalog.settings
    domain = settings.sources[2].domain_id
    assert domain is not None
    dz = [r for job in settings.sources[2].jobs for r in emu.datazone.job_runs(domain, job)]
    raw = {
        HO_SOURCE: emu.healthomics.all_runs(),
        TC_SOURCE: emu.tencent.runs(),
        DZ_SOURCE: dz,
    }
    return {name: [run_row(KINDS[name], r) for r in rows] for name, rows in raw.items()}


SEARCH = """
query($filter: RunFilter, $order: RunOrder, $first: Int, $after: String, $last: Int,
      $before: String) {
  searchRuns(filter: $filter, orderBy: $order, first: $first, after: $after, last: $last,
             before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id source provider nativeId state createdAt syncedAt
                          deletedUpstream } }
  }
}
"""


async def walk(app: App, key: str = KEY_ALL, page: int = 37, **variables: Any) -> list[Any]:
    nodes: list[Any] = []
    after = None
    for _ in range(100):
        data = await app.data(SEARCH, key, first=page, after=after, **variables)
        conn = data["searchRuns"]
        nodes.extend(e["node"] for e in conn["edges"])
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes
        after = conn["pageInfo"]["endCursor"]
    raise AssertionError("walk did not end")


async def test_search_walks_every_source_newest_first_with_exact_counts(app: App) -> None:
    want = truth(app)
    nodes = await walk(app)
    assert len(nodes) == sum(len(rows) for rows in want.values())
    by_source = Counter(n["source"] for n in nodes)
    assert by_source == {name: len(rows) for name, rows in want.items()}
    created = [datetime.fromisoformat(n["createdAt"]) for n in nodes]
    assert all(n["syncedAt"] and n["deletedUpstream"] is False for n in nodes)
    assert len({n["id"] for n in nodes}) == len(nodes)
    keys = [(c, n["nativeId"]) for c, n in zip(created, nodes, strict=True)]
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)
    first = await app.data(SEARCH, first=5)
    assert first["searchRuns"]["totalCount"] == len(nodes)
    assert first["searchRuns"]["pageInfo"]["hasPreviousPage"] is False


async def test_filters_and_stats_agree_with_the_ground_truth(app: App) -> None:
    want = truth(app)
    failed = [
        r
        for name in (HO_SOURCE, TC_SOURCE)
        for r in want[name]
        if r.state.value in ("FAILED", "SUCCEEDED")
    ]
    nodes = await walk(
        app,
        filter={"states": ["FAILED", "SUCCEEDED"], "providers": ["HEALTHOMICS", "TENCENT_OMICS"]},
        order={"field": "NAME", "direction": "ASC"},
    )
    assert sorted(n["nativeId"] for n in nodes) == sorted(r.native_id for r in failed)
    stats = await app.data(
        "query { runStats(groupBy: [SOURCE, STATE]) { source state count "
        "durationSeconds { p50 p95 max } } }"
    )
    got = {(g["source"], g["state"]): g["count"] for g in stats["runStats"]}
    expect = Counter((name, r.state.value) for name, rows in want.items() for r in rows)
    assert got == dict(expect)
    for g in stats["runStats"]:
        d = g["durationSeconds"]
        if d["max"] is not None:
            assert d["p50"] <= d["p95"] <= d["max"]


async def test_every_answer_is_scoped_to_the_callers_sources(app: App) -> None:
    want = truth(app)
    nodes = await walk(app, key=KEY_HO)
    assert {n["source"] for n in nodes} == {HO_SOURCE}
    assert len(nodes) == len(want[HO_SOURCE])
    stats = await app.data("query { runStats(groupBy: [SOURCE]) { source count } }", KEY_HO)
    assert stats["runStats"] == [{"source": HO_SOURCE, "count": len(want[HO_SOURCE])}]
    status = await app.data("query { catalog { enabled sources { source runs } } }", KEY_HO)
    assert status["catalog"]["sources"] == [{"source": HO_SOURCE, "runs": len(want[HO_SOURCE])}]
    body = await app.query(SEARCH, KEY_HO, first=5, filter={"sources": [TC_SOURCE]})
    assert body["data"]["searchRuns"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_bad_input_is_refused_before_any_sql(app: App) -> None:
    cases: list[dict[str, Any]] = [
        {
            "first": 5,
            "filter": {
                "createdAfter": "2026-02-01T00:00:00Z",
                "createdBefore": "2026-01-01T00:00:00Z",
            },
        },
        {"first": 5, "filter": {"sources": ["nope"]}},
        {"first": 5, "filter": {"nameContains": ""}},
        {"first": 5, "filter": {"tags": [{"key": "", "value": "x"}]}},
        {"first": 0},
        {"first": 5, "last": 5},
        {"first": 5, "after": "not-a-cursor"},
    ]
    for variables in cases:
        body = await app.query(SEARCH, **variables)
        assert body["data"]["searchRuns"] is None, variables
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", variables
    # A cursor of another filter (or order) does not open here.
    page = await app.data(SEARCH, first=2, filter={"providers": ["HEALTHOMICS"]})
    cursor = page["searchRuns"]["pageInfo"]["endCursor"]
    body = await app.query(SEARCH, first=2, after=cursor)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_database_that_is_down_answers_catalog_unavailable_alone(app: App) -> None:
    good = app.catalog.engine
    app.catalog.engine = app.catalog.store.engine = make_engine(
        "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    )
    try:
        body = await app.query(
            "query { sources { name } searchRuns(first: 3) { totalCount } "
            "runStats(groupBy: [STATE]) { count } catalog { enabled } }"
        )
    finally:
        await app.catalog.engine.dispose()
        app.catalog.engine = app.catalog.store.engine = good
    assert body["data"]["searchRuns"] is None and body["data"]["runStats"] is None
    assert body["data"]["catalog"] is None
    assert len(body["data"]["sources"]) == 3
    assert {e["extensions"]["code"] for e in body["errors"]} == {"CATALOG_UNAVAILABLE"}


TASKS = """
query($id: String!, $after: String) {
  run(source: "aws", id: $id) {
    syncedAt
    tasks(first: 40, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id nativeId name status startedAt } }
    }
  }
}
"""


async def walk_tasks(app: App, run_id: str, headers: dict[str, str]) -> list[Any]:
    nodes: list[Any] = []
    after = None
    while True:
        resp = await app.client.post(
            "/graphql",
            json={"query": TASKS, "variables": {"id": run_id, "after": after}},
            headers={"X-API-Key": KEY_ALL, **headers},
        )
        body = resp.json()
        assert not body.get("errors"), body["errors"]
        conn = body["data"]["run"]["tasks"]
        nodes.extend(e["node"] for e in conn["edges"])
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes
        after = conn["pageInfo"]["endCursor"]


async def test_a_settled_runs_tasks_come_from_the_catalogue_with_no_task_call(app: App) -> None:
    emu = app.up.emulator
    settled = [
        r["id"]
        for r in emu.healthomics.all_runs()
        if r["status"] in ("COMPLETED", "FAILED") and len(emu.healthomics.tasks(r["id"])) > 40
    ]
    assert settled
    run_id = settled[0]
    emu.calls.clear()
    stored = await walk_tasks(app, run_id, {})
    assert "omics:ListRunTasks" not in emu.calls.counts()
    live = await walk_tasks(app, run_id, {"Cache-Control": "no-cache"})
    assert emu.calls.counts()["omics:ListRunTasks"] >= 1
    assert stored == live
    assert [n["nativeId"] for n in stored] == [t["taskId"] for t in emu.healthomics.tasks(run_id)]


CALLS = """
query($id: String!) {
  run(source: "%s", id: $id) {
    tasks(first: 100) { edges { node { nativeId status ... on TencentRunCall { path %s } } } }
  }
}
"""


async def test_a_settled_tencent_runs_calls_come_from_the_catalogue_inputs_from_upstream(
    app: App,
) -> None:
    """Calls are kept without their Input (store_parameters is off): a tree that does not
    select `input` makes no GetRunCalls; one that does reads it upstream, as live."""
    emu = app.up.emulator
    assert not app.catalog.settings.catalog.store_parameters
    run_uuid = next(
        r["RunUuid"]
        for r in emu.tencent.runs()
        if r["Status"] in ("SUCCESS", "FAILED") and emu.tencent.calls(r["RunUuid"])
    )
    emu.calls.clear()
    stored = await app.data(CALLS % (TC_SOURCE, ""), id=run_uuid)
    assert "tencent:GetRunCalls" not in emu.calls.counts()
    edges = stored["run"]["tasks"]["edges"]
    want = emu.tencent.calls(run_uuid)
    assert [e["node"]["status"] for e in edges] == [c["Status"] for c in want]
    with_input = await app.data(CALLS % (TC_SOURCE, "input"), id=run_uuid)
    # At most one listing serves every call's input (none when a read just cached it).
    assert emu.calls.counts().get("tencent:GetRunCalls", 0) <= 1
    resp = await app.client.post(
        "/graphql",
        json={"query": CALLS % (TC_SOURCE, "input"), "variables": {"id": run_uuid}},
        headers={"X-API-Key": KEY_ALL, "Cache-Control": "no-cache"},
    )
    live = resp.json()["data"]
    assert with_input == live
    assert any(e["node"]["input"] for e in live["run"]["tasks"]["edges"])


async def test_a_run_deleted_upstream_is_answered_from_the_catalogue(app: App) -> None:
    emu = app.up.emulator.healthomics
    victim = next(r["id"] for r in emu.all_runs() if r["status"] == "COMPLETED")
    plan = emu.run_plan(victim)
    emu.remove_run(victim)
    query = 'query($id: String!) { run(source: "aws", id: $id) { nativeId deletedUpstream } }'
    try:
        await app.catalog.sync_once("aws")
        data = await app.data(query, id=victim)
        assert data["run"] == {"nativeId": victim, "deletedUpstream": True}
        hidden = await walk(app, filter={"sources": ["aws"]})
        assert victim not in {n["nativeId"] for n in hidden}
        shown = await walk(app, filter={"sources": ["aws"], "includeDeleted": True})
        assert victim in {n["nativeId"] for n in shown}
    finally:
        emu._runs[victim] = plan
        emu._order = None
        await app.catalog.sync_once("aws")
    data = await app.data(query, id=victim)
    assert data["run"]["deletedUpstream"] is False


async def test_metrics_show_the_sync_and_readyz_ignores_the_catalogue(app: App) -> None:
    text = (await app.client.get("/metrics")).text
    for source in (HO_SOURCE, TC_SOURCE, DZ_SOURCE):
        assert f'gateway_catalog_runs{{source="{source}"}}' in text
        assert f'gateway_catalog_lag_seconds{{source="{source}"}}' in text
    good = app.catalog.engine
    app.catalog.engine = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        assert (await app.client.get("/readyz")).status_code == 200
    finally:
        await app.catalog.engine.dispose()
        app.catalog.engine = good
