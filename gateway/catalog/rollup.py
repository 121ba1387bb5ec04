"""`runStats` and exact counts from the histogram rollups, exact rows only where they cannot.

The rollups (`catalog_run_stats`, and `catalog_run_stats_wf` per workflow) hold, per UTC day
of creation × source × state × provider × deleted, the run count and a JSON histogram of their
durations by bucket, so 30 days are a few hundred rows at any scale; triggers on
`catalog_runs` keep them (migration 0002). A query reads whole days from them and the partial
days at the ends of its created window from the runs themselves, bucketed the same way
(PostgreSQL searches the bucket bounds with `width_bucket`; SQLite looks them up as the
triggers do), so counts stay exact and a percentile is the representative of the bucket
holding the exact nearest-rank duration: within `ERROR_BOUND` of it (relative). Buckets grow
by `RATIO`: [lo, hi) with hi = max(lo + 1, ⌈lo × 1.1⌉) and representative √(lo × (hi − 1)),
so a duration in it is within √1.1 − 1 < 4.9% of it; durations under about 10 ms get a bucket
each (exact).
Filters the rollups do not carry (name, tags, batch, stopped window, an empty workflow) take
the exact path (`queries.stats`/`queries.count`). Scoping stays in the SQL: every part of the
statement is limited to the caller's source keys.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from bisect import bisect_left
from collections.abc import AsyncIterator, Sequence
from itertools import accumulate
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    Table,
    Text,
    bindparam,
    case,
    cast,
    func,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.catalog import queries as q
from gateway.catalog.store import DAY_MS
from gateway.catalog.tables import run_stats, run_stats_wf, runs, stats_buckets

RATIO = 1.1
#: The largest relative distance between a percentile (or max) answered and the exact one.
ERROR_BOUND = math.sqrt(RATIO) - 1


def answerable(query: q.RunQuery) -> bool:
    """Whether the rollups carry every filter of `query` (else the exact path answers)."""
    return not (
        query.name_contains
        or query.tags
        or query.batch_id is not None
        or query.workflow == ""
        or query.stopped_after is not None
        or query.stopped_before is not None
    )


def _days(query: q.RunQuery) -> tuple[int | None, int | None, list[tuple[int, int]]]:
    """Whole days [first, end) the rollup answers and the created ranges the rows answer."""
    after, before = query.created_after, query.created_before
    first = None if after is None else -(-after // DAY_MS)
    end = None if before is None else before // DAY_MS
    if first is not None and end is not None and first >= end:
        assert after is not None and before is not None
        return 0, 0, [(after, before)]  # no whole day: all from the rows
    edges = []
    if after is not None and first is not None and after < first * DAY_MS:
        edges.append((after, first * DAY_MS))
    if before is not None and end is not None and end * DAY_MS < before:
        edges.append((end * DAY_MS, before))
    return first, end, edges


def _bucket(row_started: Any, row_stopped: Any, lowers: Sequence[int] | None) -> Any:
    """The bucket of a run's duration, as the triggers compute it (-1: no duration).

    With `lowers` (PostgreSQL: every bucket's lower bound, in bucket order) it is one
    `width_bucket` binary search in C; else the triggers' own lookup of the bucket table, run
    once per row — on PostgreSQL that subplan was most of a partial day's cost.
    """
    duration = row_stopped - row_started
    if lowers is not None:
        bounds = bindparam("bucket_lowers", list(lowers), type_=ARRAY(BigInteger), unique=True)
        found: Any = func.width_bucket(duration, bounds) - 1
    else:
        found = (
            select(stats_buckets.c.bucket)
            .where(stats_buckets.c.lower_ms <= duration)
            .order_by(stats_buckets.c.lower_ms.desc())
            .limit(1)
            .scalar_subquery()
        )
    return case((or_(row_started.is_(None), row_stopped.is_(None)), -1), else_=found)


def _rollup_part(table: Table, query: q.RunQuery, keys: Sequence[q.StatsKey]) -> Select[Any]:
    c = table.c
    first, end, _ = _days(query)
    cond: list[ColumnElement[bool]] = [c.source_key.in_(list(query.source_keys))]
    if first is not None:
        cond.append(c.day >= first)
    if end is not None:
        cond.append(c.day < end)
    if query.providers:
        cond.append(c.provider.in_(list(query.providers)))
    if query.states:
        cond.append(c.state.in_(list(query.states)))
    if query.workflow is not None:
        cond.append(c.workflow == query.workflow)
    if not query.include_deleted:
        cond.append(c.deleted == 0)
    cols = [c[_column(k)] for k in keys]
    # As text: orjson parses it faster than the driver's JSON decoding would. The null bucket
    # lines these rows up with `_rows_part`'s (one statement, one round trip).
    nothing = cast(null(), Integer)
    return select(*cols, c.n, cast(c.hist, Text), nothing).where(*cond)


def _column(key: q.StatsKey) -> str:
    return key.value if key is not q.StatsKey.DAY else "day"


def _edge(query: q.RunQuery, lo: int, hi: int) -> q.RunQuery:
    """`query` narrowed to one partial day at an end of its window: its own index range."""
    return dataclasses.replace(query, created_after=lo, created_before=hi)


def _rows_part(
    query: q.RunQuery, keys: Sequence[q.StatsKey], lowers: Sequence[int] | None
) -> Select[Any]:
    """Runs of a partial day (`_edge`), read from the runs themselves and bucketed."""
    c = runs.c
    cols = []
    for k in keys:
        if k is q.StatsKey.DAY:
            cols.append(c.created_ms // DAY_MS)
        elif k is q.StatsKey.WORKFLOW:
            cols.append(func.coalesce(c.workflow, ""))
        else:
            cols.append(c[k.value])
    bucket = _bucket(c.started_ms, c.stopped_ms, lowers)
    return (
        select(*cols, func.count(), cast(null(), Text), bucket)
        .where(*query.where())
        .group_by(*cols, bucket)
    )


def _table(query: q.RunQuery, keys: Sequence[q.StatsKey]) -> Table:
    return run_stats_wf if q.StatsKey.WORKFLOW in keys or query.workflow is not None else run_stats


@contextlib.asynccontextmanager
async def _reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for one read statement, in AUTOCOMMIT: a statement is its own snapshot
    anyway, and PostgreSQL is spared the BEGIN and ROLLBACK round trips around it."""
    async with engine.connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")


async def count(engine: AsyncEngine, query: q.RunQuery) -> int:
    """The exact number of runs matching `query` (the rollups' counts where they can)."""
    if not answerable(query):
        return await q.count(engine, query)
    c = _table(query, []).c
    whole = _rollup_part(_table(query, []), query, []).with_only_columns(
        func.coalesce(func.sum(c.n), 0)
    )
    _, _, edges = _days(query)
    total: Any = whole.scalar_subquery()
    for lo, hi in edges:  # the partial days, in the same statement
        part = _edge(query, lo, hi).where()
        total = total + select(func.count()).select_from(runs).where(*part).scalar_subquery()
    async with _reading(engine) as conn:
        return int(await conn.scalar(select(total)) or 0)


@dataclasses.dataclass(frozen=True)
class _Buckets:
    """The bucket table: data frozen by migration 0002, the same in every catalogue database,
    so read once per process."""

    #: bucket → the duration (ms) a percentile falling in it answers.
    reps: dict[int, float]
    #: Every bucket's lower bound in bucket order, when buckets are numbered 0, 1, … in the
    #: order of their bounds (as 0002 made them): what `width_bucket` searches.
    lowers: list[int] | None


_BUCKETS: list[_Buckets] = []


async def _buckets(conn: AsyncConnection) -> _Buckets:
    if not _BUCKETS:
        b = stats_buckets.c
        rows = (
            await conn.execute(select(b.bucket, b.lower_ms, b.rep_ms).order_by(b.lower_ms))
        ).all()
        numbered = [int(r.bucket) for r in rows] == list(range(len(rows)))
        _BUCKETS.append(
            _Buckets(
                reps={int(r.bucket): float(r.rep_ms) for r in rows},
                lowers=[int(r.lower_ms) for r in rows] if numbered else None,
            )
        )
    return _BUCKETS[0]


def _percentiles(hist: dict[str, int], reps: dict[int, float]) -> tuple[Any, Any, Any]:
    """Nearest-rank p50 and p95 and the max, each the representative of its bucket (ms).

    Hundreds of groups per answer: the walk is a sort, a running sum and two binary searches.
    """
    ordered = sorted(hist, key=int)
    counts = [hist[b] for b in ordered]
    if counts and min(counts) <= 0:  # buckets a run moved out of (0) count for nothing
        ordered = [b for b, n in zip(ordered, counts, strict=True) if n > 0]
        counts = [n for n in counts if n > 0]
    if not counts:
        return None, None, None
    running = list(accumulate(counts))
    total = running[-1]
    p50 = ordered[bisect_left(running, (total * 50 + 99) // 100)]
    p95 = ordered[bisect_left(running, (total * 95 + 99) // 100)]
    return reps[int(p50)], reps[int(p95)], reps[int(ordered[-1])]


async def stats(
    engine: AsyncEngine, query: q.RunQuery, group_by: Sequence[q.StatsKey]
) -> list[q.Group]:
    """Exact counts and p50/p95/max within `ERROR_BOUND` per group (exact path as needed)."""
    if not answerable(query):
        return await q.stats(engine, query, group_by)
    keys = list(group_by)
    width = len(keys)
    _, _, edges = _days(query)
    counts: dict[tuple[Any, ...], int] = {}
    hists: dict[tuple[Any, ...], dict[str, int]] = {}  # bucket (as JSON keys it) → runs
    async with _reading(engine) as conn:
        buckets = await _buckets(conn)
        lowers = buckets.lowers if engine.dialect.name == "postgresql" else None
        parts = [_rollup_part(_table(query, keys), query, keys)]
        parts += [_rows_part(_edge(query, lo, hi), keys, lowers) for lo, hi in edges]
        stmt = union_all(*parts) if len(parts) > 1 else parts[0]
        rows = (await conn.execute(stmt)).all()
    for row in rows:
        key = row[:width]
        n = int(row[width])
        counts[key] = counts.get(key, 0) + n
        raw = row[width + 1]
        if raw is not None:  # a rollup row: its histogram
            parsed: dict[str, int] = orjson.loads(raw)
            hist = hists.get(key)
            if hist is None:
                hists[key] = parsed
            else:
                get = hist.get
                for b, m in parsed.items():
                    hist[b] = get(b, 0) + m
        elif (bucket := row[width + 2]) is not None and bucket >= 0:  # partial-day runs
            hist = hists.setdefault(key, {})
            b = str(bucket)
            hist[b] = hist.get(b, 0) + n
    if not keys and not counts:
        counts[()] = 0  # one group of everything, as the exact path answers
    groups = []
    for key, total in counts.items():
        if total <= 0 and keys:
            continue
        p50, p95, mx = _percentiles(hists.get(key, {}), buckets.reps)
        values: dict[q.StatsKey, Any] = {}
        for k, v in zip(keys, key, strict=True):
            if k is q.StatsKey.WORKFLOW and v == "":
                v = None
            elif k is q.StatsKey.DAY and v is not None:
                v = int(v)
            values[k] = v
        groups.append(
            q.Group(
                keys=values, count=total, p50=_seconds(p50), p95=_seconds(p95), max=_seconds(mx)
            )
        )
    groups.sort(key=lambda grp: tuple("" if v is None else str(v) for v in grp.keys.values()))
    return groups


def _seconds(ms: Any) -> float | None:
    return None if ms is None else float(ms) / 1000.0
