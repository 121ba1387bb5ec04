"""The searchRuns law, property-tested against a brute-force filter + sort of the ground truth.

Walking forward or backward with random filters, orders and page sizes yields every matching
row exactly once, in order; while unrelated rows are inserted, updated and deleted between
pages, every row whose key and membership stay put still appears exactly once, in order, and
none appears twice.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.app import create_app
from gateway.catalog.queries import OrderField, RunOrder, RunQuery
from gateway.catalog.records import run_row, to_ms
from gateway.catalog.service import Catalog
from gateway.catalog.store import Store
from gateway.catalog.tables import runs
from gateway.clouds.datazone.states import KIND as DZ_KIND
from gateway.clouds.healthomics.states import KIND as HO_KIND
from gateway.clouds.tencent.states import KIND as TC_KIND
from gateway.config import load_settings
from gateway.types import ProviderKind
from tests.catalog.brute import Truth, expected
from tests.conftest import CURSOR_KEY

HO, TC, DZ = HO_KIND, TC_KIND, DZ_KIND
SOURCES = {"ho": HO, "tc": TC, "dz": DZ}
STATUSES = {
    HO: ["RUNNING", "COMPLETED", "FAILED", "CANCELLED"],
    TC: ["RUNNING", "SUCCESS", "FAILED"],
    DZ: ["IN_PROGRESS", "SUCCESS", "FAILED"],
}
BASE = datetime(2026, 10, 1, tzinfo=UTC)
NAMES = [None, "alpha", "Alpha-run", "beta", "run-7", "zeta", "alpha"]
WORKFLOWS = ["wf-a", "wf-b", "wf-c"]


def upstream_record(kind: ProviderKind, rng: random.Random, native: str) -> dict[str, Any]:
    status = rng.choice(STATUSES[kind])
    created = BASE + timedelta(hours=rng.randrange(0, 240))  # ties on purpose
    started = created + timedelta(minutes=rng.randrange(0, 30)) if rng.random() < 0.8 else None
    stopped = (
        started + timedelta(minutes=rng.randrange(1, 300))
        if started is not None and status not in ("RUNNING", "IN_PROGRESS")
        else None
    )
    name, workflow = rng.choice(NAMES), rng.choice(WORKFLOWS)
    if kind is HO:
        return {
            "id": native,
            "status": status,
            "name": name,
            "workflowId": workflow,
            "batchId": rng.choice([None, "b1", "b2"]),
            "creationTime": created,
            "startTime": started,
            "stopTime": stopped,
            "tags": {"team": rng.choice(["x", "y"])},
        }
    if kind is TC:
        iso = lambda d: None if d is None else d.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        return {
            "RunUuid": native,
            "Status": status,
            "UserDefinedId": name or "",
            "ApplicationId": workflow,
            "RunGroupId": rng.choice(["", "b1"]),
            "CreateTime": iso(created),
            "ExecutionTime": {"StartTime": iso(started), "EndTime": iso(stopped)},
        }
    return {
        "runId": native,
        "status": status,
        "jobId": workflow,
        "createdAt": created,
        "startTime": started,
        "endTime": stopped,
    }


def native_id(kind: ProviderKind, rng: random.Random) -> str:
    if kind is TC:
        return str(uuid.UUID(int=rng.getrandbits(128)))
    return str(rng.randrange(10**6, 10**7))


@dataclass
class World:
    client: httpx.AsyncClient
    catalog: Catalog
    store: Store
    truth: Truth
    rng: random.Random
    touched: set[tuple[str, str]] = field(default_factory=set)

    def __repr__(self) -> str:
        return f"World({len(self.truth.rows)} rows)"

    async def put(self, source: str, native: str | None = None) -> None:
        kind = SOURCES[source]
        native = native or native_id(kind, self.rng)
        row = run_row(kind, upstream_record(kind, self.rng, native))
        key = self.catalog.keys[source]
        await self.store.upsert_runs(key, [row], detail=True)
        async with self.store.engine.connect() as conn:
            found = await conn.scalar(
                runs.select()
                .with_only_columns(runs.c.id)
                .where(runs.c.source_key == key, runs.c.native_id == native)
            )
        self.truth.rows[(key, native)] = row
        self.touched.add((key, native))
        self.truth.ids[(key, native)] = int(found)
        self.truth.deleted.discard((key, native))

    async def mutate(self) -> None:
        """Insert, update or delete one row somewhere."""
        action = self.rng.choice(["insert", "update", "delete"])
        source = self.rng.choice(list(SOURCES))
        if action == "insert":
            await self.put(source)
            return
        key, native = self.rng.choice(sorted(self.truth.rows))
        name = next(n for n, k in self.catalog.keys.items() if k == key)
        if action == "update":
            await self.put(name, native)
        else:
            await self.store.mark_deleted(key, native)
            self.truth.deleted.add((key, native))
            self.touched.add((key, native))


@pytest.fixture(scope="module")
async def world(module_catalog_url: str) -> AsyncIterator[World]:
    settings = load_settings(
        None,
        sources=[
            {
                "name": n,
                "provider": k.value,
                "region": "us-east-1",
                "endpoint_url": "http://127.0.0.1:9",
                **({"domain_id": "dzd_abc123"} if k.value == "datazone" else {}),
            }
            for n, k in SOURCES.items()
        ],
        cursors={"keys": [CURSOR_KEY]},
        catalog={"enabled": True, "url": module_catalog_url, "sync": False},
        limits={"queries_per_minute": 0, "cost_points_per_hour": 0},
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        catalog: Catalog = app.state.catalog
        w = World(None, catalog, catalog.store, Truth(), random.Random(5))  # type: ignore[arg-type]
        for i in range(60):
            await w.put(list(SOURCES)[i % 3])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            w.client = client
            yield w


QUERY = """
query($filter: RunFilter, $order: RunOrder, $first: Int, $after: String, $last: Int,
      $before: String) {
  searchRuns(filter: $filter, orderBy: $order, first: $first, after: $after, last: $last,
             before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { source nativeId } }
  }
}
"""

filters = st.fixed_dictionaries(
    {},
    optional={
        "states": st.lists(
            st.sampled_from(["RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        "providers": st.lists(
            st.sampled_from(["HEALTHOMICS", "TENCENT_OMICS", "DATAZONE"]),
            min_size=1,
            max_size=2,
            unique=True,
        ),
        "createdAfter": st.integers(0, 200).map(lambda h: BASE + timedelta(hours=h)),
        "nameContains": st.sampled_from(["alpha", "RUN", "z"]),
        "workflow": st.sampled_from(WORKFLOWS),
        "sources": st.lists(st.sampled_from(list(SOURCES)), min_size=1, max_size=3, unique=True),
        "tags": st.just([{"key": "team", "value": "x"}]),
        "includeDeleted": st.booleans(),
    },
)


def as_query(catalog: Catalog, flt: dict[str, Any]) -> RunQuery:
    names = flt.get("sources") or list(SOURCES)
    after = flt.get("createdAfter")
    return RunQuery(
        source_keys=catalog.granted_keys(names),
        providers=tuple(
            {
                "HEALTHOMICS": "healthomics",
                "TENCENT_OMICS": "tencent-omics",
                "DATAZONE": "datazone",
            }[p]
            for p in flt.get("providers", [])
        ),
        states=tuple(flt.get("states", [])),
        created_after=None if after is None else to_ms(after),
        name_contains=flt.get("nameContains"),
        workflow=flt.get("workflow"),
        tags=tuple((t["key"], t["value"]) for t in flt.get("tags", [])),
        include_deleted=flt.get("includeDeleted", False),
    )


async def walk(
    w: World,
    flt: dict[str, Any],
    order: dict[str, str],
    sizes: list[int],
    backward: bool,
    mutate: bool,
) -> list[tuple[str, str]]:
    variables: dict[str, Any] = {"order": order}
    wire = dict(flt)
    if "createdAfter" in wire:
        wire["createdAfter"] = wire["createdAfter"].isoformat()
    variables["filter"] = wire
    seen: list[tuple[str, str]] = []
    cursor = None
    for i in range(400):
        size = sizes[i % len(sizes)]
        page = {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        resp = await w.client.post(
            "/graphql", json={"query": QUERY, "variables": {**variables, **page}}
        )
        body = resp.json()
        assert not body.get("errors"), body["errors"]
        conn = body["data"]["searchRuns"]
        got = [(w.catalog.keys[e["node"]["source"]], e["node"]["nativeId"]) for e in conn["edges"]]
        info = conn["pageInfo"]
        if backward:
            seen[:0] = got
            more, cursor = info["hasPreviousPage"], info["startCursor"]
        else:
            seen.extend(got)
            more, cursor = info["hasNextPage"], info["endCursor"]
        if not more:
            return seen
        if mutate:
            for _ in range(w.rng.randrange(1, 4)):
                await w.mutate()
    raise AssertionError("walk did not end")


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    flt=filters,
    order_field=st.sampled_from([f.name for f in OrderField]),
    descending=st.booleans(),
    sizes=st.lists(st.integers(1, 15), min_size=1, max_size=4),
    backward=st.booleans(),
    mutate=st.booleans(),
)
async def test_walks_equal_brute_force(
    world: World,
    flt: dict[str, Any],
    order_field: str,
    descending: bool,
    sizes: list[int],
    backward: bool,
    mutate: bool,
) -> None:
    order = RunOrder(OrderField[order_field], descending)
    query = as_query(world.catalog, flt)
    before = expected(world.truth, query, order)
    world.touched.clear()
    seen = await walk(
        world,
        flt,
        {"field": order_field, "direction": "DESC" if descending else "ASC"},
        sizes,
        backward,
        mutate,
    )
    assert len(seen) == len(set(seen)), "a row appeared twice"
    if not mutate:
        assert seen == before
        return
    # Rows touched during the walk may appear at most once (checked above); every other row
    # that matched must appear exactly once, in order.
    stable = [k for k in before if k not in world.touched]
    assert [k for k in seen if k in set(stable)] == stable
