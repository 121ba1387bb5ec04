"""runStats from the rollups against a brute force over the ground truth, on both databases.

Counts are exact and every percentile (and max) lies within the stated bound of the exact
nearest-rank one — after inserts, updates that move a run's state, times or day, deletions
upstream and purges; the migration's backfill equals what the triggers maintain; filters the
rollups do not carry answer exactly.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from alembic import command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.catalog import queries as q
from gateway.catalog import rollup
from gateway.catalog.database import _alembic_config, make_engine, migrate
from gateway.catalog.records import RunRow
from gateway.catalog.store import DAY_MS, Store
from gateway.catalog.tables import run_stats, runs
from gateway.clouds.healthomics.states import KIND as HO
from gateway.clouds.tencent.states import KIND as TC
from gateway.states import RunState

BASE = 1_790_000_000_000 - 1_790_000_000_000 % DAY_MS  # a UTC midnight
STATES = [RunState.RUNNING, RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED]
WORKFLOWS = [None, "wf-a", "wf-b"]


def random_row(rng: random.Random, native: str) -> RunRow:
    state = rng.choice(STATES)
    created = BASE + rng.randrange(0, 6 * DAY_MS)
    started = created + rng.randrange(0, 60_000) if rng.random() < 0.85 else None
    # Durations from 0 ms to days, many short ones (exact buckets) and ties.
    duration = rng.choice([0, 1, 7, 999, rng.randrange(1, 10**9), int(rng.lognormvariate(13, 2))])
    stopped = started + duration if started is not None and state is not RunState.RUNNING else None
    return RunRow(
        native_id=native,
        provider=rng.choice([HO, TC]),
        name=rng.choice([None, "alpha", "beta"]),
        status=state.value,
        state=state,
        settled=stopped is not None,
        workflow=rng.choice(WORKFLOWS),
        batch_id=rng.choice([None, "b1"]),
        created_ms=created,
        started_ms=started,
        stopped_ms=stopped,
        tags={"team": rng.choice(["x", "y"])},
        record={"id": native},
    )


def nearest_rank(values: list[int], percent: int) -> float:
    ordered = sorted(values)
    return float(ordered[(len(ordered) * percent + 99) // 100 - 1])


def brute(
    rows: dict[str, tuple[str, RunRow]],
    deleted: set[str],
    query: q.RunQuery,
    keys: list[q.StatsKey],
) -> dict[tuple[Any, ...], tuple[int, list[int]]]:
    """Group key → (count, durations ms) by the obvious Python."""
    # Without groupBy there is one group of everything, even of nothing.
    out: dict[tuple[Any, ...], tuple[int, list[int]]] = {} if keys else {(): (0, [])}
    for native, (source, row) in rows.items():
        assert row.created_ms is not None
        checks = [
            source in query.source_keys,
            not query.states or row.state.value in query.states,
            not query.providers or row.provider.value in query.providers,
            query.created_after is None or row.created_ms >= query.created_after,
            query.created_before is None or row.created_ms < query.created_before,
            query.workflow is None or row.workflow == query.workflow,
            query.name_contains is None or (row.name or "").find(query.name_contains) >= 0,
            query.include_deleted or native not in deleted,
        ]
        if not all(checks):
            continue
        values = {
            q.StatsKey.SOURCE: source,
            q.StatsKey.PROVIDER: row.provider.value,
            q.StatsKey.STATE: row.state.value,
            q.StatsKey.WORKFLOW: row.workflow,
            q.StatsKey.DAY: row.created_ms // DAY_MS,
        }
        key = tuple(values[k] for k in keys)
        n, durations = out.get(key, (0, []))
        if row.started_ms is not None and row.stopped_ms is not None:
            durations.append(row.stopped_ms - row.started_ms)
        out[key] = (n + 1, durations)
    return out


def check(
    got: list[q.Group],
    want: dict[tuple[Any, ...], tuple[int, list[int]]],
    keys: list[q.StatsKey],
    bound: float,
) -> None:
    assert {tuple(g.keys[k] for k in keys): g.count for g in got} == {
        k: n for k, (n, _) in want.items()
    }
    for g in got:
        _, durations = want[tuple(g.keys[k] for k in keys)]
        exact = (
            (nearest_rank(durations, 50), nearest_rank(durations, 95), float(max(durations)))
            if durations
            else (None, None, None)
        )
        for answered, truth in zip((g.p50, g.p95, g.max), exact, strict=True):
            if truth is None:
                assert answered is None
            else:
                assert answered is not None
                assert abs(answered * 1000 - truth) <= bound * truth + 1e-6, (answered, truth)


@pytest.fixture(scope="module")
async def engine(module_catalog_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(module_catalog_url)
    await migrate(eng)
    yield eng
    await eng.dispose()


queries = st.fixed_dictionaries(
    {
        "keys": st.lists(st.sampled_from(list(q.StatsKey)), max_size=3, unique=True),
        "after": st.none() | st.integers(-DAY_MS, 7 * DAY_MS),
        "span": st.none() | st.integers(1, 7 * DAY_MS),
        "whole_days": st.booleans(),
        "states": st.lists(st.sampled_from([s.value for s in STATES]), max_size=2, unique=True),
        "providers": st.lists(st.sampled_from([HO.value, TC.value]), max_size=1),
        "workflow": st.sampled_from([None, "wf-a"]),
        "name": st.sampled_from([None, None, "alp"]),
        "include_deleted": st.booleans(),
    }
)


@settings(
    max_examples=15,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking costs minutes here
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 2**32), asks=st.lists(queries, min_size=3, max_size=3))
async def test_rollups_agree_with_brute_force(
    engine: AsyncEngine, seed: int, asks: list[dict[str, Any]]
) -> None:
    rng = random.Random(seed)
    store = Store(engine)
    sources = [uuid.uuid4().hex, uuid.uuid4().hex]  # this example's own rows only
    rows: dict[str, tuple[str, RunRow]] = {}
    deleted: set[str] = set()
    for i in range(40):
        native = f"{seed}-{i}"
        rows[native] = (sources[i % 2], random_row(rng, native))
    for source in sources:
        mine = [row for s, row in rows.values() if s == source]
        await store.upsert_runs(source, mine[:10], detail=True)
        await store.upsert_runs(source, mine[10:])
    for _ in range(20):  # the sync's later writes: moves, deletions, returns, purges
        native = rng.choice(sorted(rows))
        source, _old = rows[native]
        action = rng.choice(["update", "update", "delete", "purge"])
        if action == "update":
            rows[native] = (source, random_row(rng, native))
            await store.upsert_runs(source, [rows[native][1]])
            deleted.discard(native)
        elif action == "delete":
            await store.mark_deleted(source, native)
            deleted.add(native)
        else:
            async with engine.begin() as conn:
                await conn.execute(
                    delete(runs).where(runs.c.source_key == source, runs.c.native_id == native)
                )
            rows.pop(native)
            deleted.discard(native)
    for ask in asks:
        after = None if ask["after"] is None else BASE + ask["after"]
        if after is not None and ask["whole_days"]:
            after -= after % DAY_MS
        before = None if ask["span"] is None or after is None else after + ask["span"]
        if before is not None and ask["whole_days"]:
            before -= before % DAY_MS
        query = q.RunQuery(
            source_keys=tuple(sources),
            states=tuple(ask["states"]),
            providers=tuple(ask["providers"]),
            created_after=after,
            created_before=before,
            workflow=ask["workflow"],
            name_contains=ask["name"],
            include_deleted=ask["include_deleted"],
        )
        keys = ask["keys"]
        want = brute(rows, deleted, query, keys)
        bound = rollup.ERROR_BOUND if rollup.answerable(query) else 0.0
        check(await rollup.stats(engine, query, keys), want, keys, bound)
        assert await rollup.count(engine, query) == sum(n for n, _ in want.values())


async def test_stated_bound_and_exact_fallback(engine: AsyncEngine) -> None:
    """The bound the schema states is the bucket ratio's; a name filter answers exactly."""
    assert math.isclose(rollup.ERROR_BOUND, math.sqrt(1.1) - 1)
    assert rollup.ERROR_BOUND < 0.049
    assert not rollup.answerable(q.RunQuery(source_keys=("x",), name_contains="a"))
    assert not rollup.answerable(q.RunQuery(source_keys=("x",), tags=(("k", "v"),)))
    assert not rollup.answerable(q.RunQuery(source_keys=("x",), stopped_after=1))
    store, source = Store(engine), uuid.uuid4().hex
    rng = random.Random(9)
    rows = {f"e{i}": (source, random_row(rng, f"e{i}")) for i in range(30)}
    await store.upsert_runs(source, [row for _, row in rows.values()])
    query = q.RunQuery(source_keys=(source,), name_contains="alp")
    keys = [q.StatsKey.STATE]
    check(await rollup.stats(engine, query, keys), brute(rows, set(), query, keys), keys, 0.0)


async def test_partial_days_bucket_as_the_triggers_do(engine: AsyncEngine) -> None:
    """Runs read from a partial day land in the very bucket the rollups hold them in, at and
    around bucket bounds too (PostgreSQL searches the bounds with `width_bucket`)."""
    from gateway.catalog.tables import stats_buckets

    async with engine.connect() as conn:
        lowers = [int(v) for v in await conn.scalars(select(stats_buckets.c.lower_ms))]
    bounds = sorted(v for v in lowers if 0 < v < 10**13)
    durations = {0, -5, 10**13 + 5, *bounds[:12], *bounds[-3:]}
    durations |= {v - 1 for v in bounds[::15]} | {v + 1 for v in bounds[::15]}
    store, source = Store(engine), uuid.uuid4().hex
    day = BASE + 40 * DAY_MS
    rows = []
    for i, duration in enumerate(sorted(durations)):
        created = day + 3_600_000 + i
        rows.append(
            RunRow(
                native_id=f"w{i}",
                provider=HO,
                name=None,
                status="COMPLETED",
                state=RunState.SUCCEEDED,
                settled=True,
                workflow=f"wf-{i}",  # one group per run: its bucket's representative
                batch_id=None,
                created_ms=created,
                started_ms=created,
                stopped_ms=created + duration,
                tags={},
                record={"id": f"w{i}"},
            )
        )
    await store.upsert_runs(source, rows)
    keys = [q.StatsKey.WORKFLOW]
    whole = q.RunQuery(source_keys=(source,), created_after=day, created_before=day + DAY_MS)
    partial = q.RunQuery(
        source_keys=(source,), created_after=day + 1, created_before=day + DAY_MS - 1
    )
    from_rollups = await rollup.stats(engine, whole, keys)
    from_rows = await rollup.stats(engine, partial, keys)
    assert len(from_rollups) == len(rows)
    assert [(g.keys, g.count, g.p50, g.p95, g.max) for g in from_rows] == [
        (g.keys, g.count, g.p50, g.p95, g.max) for g in from_rollups
    ]


async def _rollup_rows(eng: AsyncEngine) -> list[tuple[Any, ...]]:
    """The rollup's rows of runs that exist, histograms without emptied buckets."""
    out = []
    async with eng.connect() as conn:
        for r in await conn.execute(select(run_stats).where(run_stats.c.n > 0)):
            hist = orjson.loads(r.hist) if isinstance(r.hist, str) else r.hist
            out.append((*r[:-1], sorted((b, n) for b, n in hist.items() if n)))
    return sorted(out)


async def test_the_migration_backfills_what_triggers_maintain(catalog_url: str) -> None:
    """Rows written at revision 0001 are in the rollups after upgrading, as if triggered."""
    eng = make_engine(catalog_url)
    try:
        async with eng.connect() as conn:
            await conn.run_sync(lambda c: command.upgrade(_alembic_config(c), "0001"))
            await conn.commit()
        store, source = Store(eng), uuid.uuid4().hex
        rng = random.Random(4)
        rows = {f"m{i}": (source, random_row(rng, f"m{i}")) for i in range(50)}
        await store.upsert_runs(source, [row for _, row in rows.values()])
        await store.mark_deleted(source, "m3")
        await migrate(eng)
        backfilled = await _rollup_rows(eng)
        for keys in ([q.StatsKey.DAY, q.StatsKey.STATE], [q.StatsKey.WORKFLOW]):
            query = q.RunQuery(source_keys=(source,))
            want = brute(rows, {"m3"}, query, keys)
            check(await rollup.stats(eng, query, keys), want, keys, rollup.ERROR_BOUND)
        # Writing every row again through the triggers changes nothing.
        async with eng.begin() as conn:
            await conn.execute(delete(runs).where(runs.c.source_key == source))
        await store.upsert_runs(source, [row for _, row in rows.values()])
        await store.mark_deleted(source, "m3")
        assert await _rollup_rows(eng) == backfilled
    finally:
        await eng.dispose()
