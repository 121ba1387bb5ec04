"""Reads of the catalogue: search with keyset paging, exact counts, grouped statistics.

Scoping is part of every statement: the caller passes the source keys it may read and no row
of another source is selected, counted or grouped. Keyset paging orders by (order key, id) in
one direction; the law: a walk forward or backward yields every row whose key and membership
do not change during the walk exactly once, in order; changed rows appear at most once.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.catalog.records import loads
from gateway.catalog.store import DAY_MS
from gateway.catalog.tables import run_tags, runs


class OrderField(enum.Enum):
    CREATED_AT = "created_ms"
    STARTED_AT = "started_key"
    STOPPED_AT = "stopped_key"
    DURATION = "duration_key"
    NAME = "name_key"


class StatsKey(enum.Enum):
    SOURCE = "source_key"
    PROVIDER = "provider"
    STATE = "state"
    WORKFLOW = "workflow"
    DAY = "day"


@dataclass(frozen=True)
class RunQuery:
    """A validated filter; `source_keys` is already the caller's grant ∩ the asked sources."""

    source_keys: tuple[str, ...]
    providers: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    created_after: int | None = None
    created_before: int | None = None
    stopped_after: int | None = None
    stopped_before: int | None = None
    name_contains: str | None = None
    workflow: str | None = None
    batch_id: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    include_deleted: bool = False

    def where(self) -> list[ColumnElement[bool]]:
        c = runs.c
        cond: list[ColumnElement[bool]] = [c.source_key.in_(list(self.source_keys))]
        if self.providers:
            cond.append(c.provider.in_(list(self.providers)))
        if self.states:
            cond.append(c.state.in_(list(self.states)))
        if self.created_after is not None:
            cond.append(c.created_ms >= self.created_after)
        if self.created_before is not None:
            cond.append(c.created_ms < self.created_before)
        if self.stopped_after is not None:
            cond.append(and_(c.stopped_ms.is_not(None), c.stopped_ms >= self.stopped_after))
        if self.stopped_before is not None:
            cond.append(and_(c.stopped_ms.is_not(None), c.stopped_ms < self.stopped_before))
        if self.name_contains:
            cond.append(func.lower(c.name).contains(self.name_contains.lower(), autoescape=True))
        if self.workflow is not None:
            cond.append(c.workflow == self.workflow)
        if self.batch_id is not None:
            cond.append(c.batch_id == self.batch_id)
        for key, value in self.tags:
            t = run_tags.c
            cond.append(exists().where(t.run_id == c.id, t.key == key, t.value == value))
        if not self.include_deleted:
            cond.append(c.deleted_upstream_ms.is_(None))
        return cond


@dataclass(frozen=True)
class RunOrder:
    field: OrderField = OrderField.CREATED_AT
    descending: bool = True


@dataclass(frozen=True)
class Keyset:
    """A row's place in one order: its order key value and its id."""

    value: int | str
    id: int


@dataclass
class CatalogRun:
    """One catalogued run as the schema needs it."""

    id: int
    source_key: str
    provider: str
    native_id: str
    record: dict[str, Any]
    synced_ms: int
    deleted: bool
    keyset: Keyset


@dataclass
class Found:
    rows: list[CatalogRun]
    has_more: bool


def _key_column(order: RunOrder) -> Any:
    return runs.c[order.field.value]


_MOVED = {
    OrderField.CREATED_AT: ("moved_created_ms",),
    OrderField.STARTED_AT: ("moved_started_ms",),
    OrderField.STOPPED_AT: ("moved_stopped_ms",),
    OrderField.DURATION: ("moved_started_ms", "moved_stopped_ms"),
    OrderField.NAME: ("moved_name_ms",),
}


def unmoved_since(order: RunOrder, as_of: int) -> list[ColumnElement[bool]]:
    """Rows whose order key has not changed since `as_of` (epoch µs): the rest may have been
    met already at their old place in this walk, so they are left out of its later pages."""
    return [runs.c[c] < as_of for c in _MOVED[order.field]]


async def search(
    engine: AsyncEngine,
    query: RunQuery,
    order: RunOrder,
    *,
    limit: int,
    cursor: Keyset | None = None,
    backward: bool = False,
    as_of: int | None = None,
) -> Found:
    """Up to `limit` rows after `cursor` (before it when `backward`), in the order's direction.

    Rows come back in the order's direction either way; `has_more` says whether another row
    lies beyond the page in the walk's direction. `as_of` is when the walk began.
    """
    col = _key_column(order)
    desc = order.descending != backward  # the direction rows are read in
    cond = query.where()
    if cursor is not None:
        pair, bound = tuple_(col, runs.c.id), tuple_(cursor.value, cursor.id)
        cond.append(pair < bound if desc else pair > bound)
    if as_of is not None:
        cond.extend(unmoved_since(order, as_of))
    ordering = [col.desc(), runs.c.id.desc()] if desc else [col.asc(), runs.c.id.asc()]
    stmt = (
        select(
            runs.c.id,
            runs.c.source_key,
            runs.c.provider,
            runs.c.native_id,
            runs.c.record,
            runs.c.synced_ms,
            runs.c.deleted_upstream_ms,
            col.label("order_key"),
        )
        .where(*cond)
        .order_by(*ordering)
        .limit(limit + 1)
    )
    async with engine.connect() as conn:
        result = (await conn.execute(stmt)).all()
    found = [
        CatalogRun(
            id=r.id,
            source_key=r.source_key,
            provider=r.provider,
            native_id=r.native_id,
            record=loads(r.record),
            synced_ms=r.synced_ms,
            deleted=r.deleted_upstream_ms is not None,
            keyset=Keyset(r.order_key, r.id),
        )
        for r in result[:limit]
    ]
    if backward:
        found.reverse()
    return Found(found, len(result) > limit)


async def any_at_or_beyond(
    engine: AsyncEngine, query: RunQuery, order: RunOrder, cursor: Keyset, *, toward_start: bool
) -> bool:
    """Whether a matching row sits at `cursor` or past it toward the start (or the end)."""
    col = _key_column(order)
    pair, bound = tuple_(col, runs.c.id), tuple_(cursor.value, cursor.id)
    greater = order.descending == toward_start  # the start of a descending order is its top
    cond = [*query.where(), pair >= bound if greater else pair <= bound]
    async with engine.connect() as conn:
        found = await conn.scalar(select(runs.c.id).where(*cond).limit(1))
    return found is not None


async def kept_deleted(engine: AsyncEngine, source_key: str, native_id: str) -> CatalogRun | None:
    """A run deleted upstream that the catalogue still keeps (None otherwise)."""
    stmt = select(runs).where(
        runs.c.source_key == source_key,
        runs.c.native_id == native_id,
        runs.c.deleted_upstream_ms.is_not(None),
    )
    async with engine.connect() as conn:
        r = (await conn.execute(stmt)).first()
    if r is None:
        return None
    return CatalogRun(
        id=r.id,
        source_key=r.source_key,
        provider=r.provider,
        native_id=r.native_id,
        record=loads(r.record),
        synced_ms=r.synced_ms,
        deleted=True,
        keyset=Keyset(r.created_ms, r.id),
    )


async def count(engine: AsyncEngine, query: RunQuery) -> int:
    async with engine.connect() as conn:
        total = await conn.scalar(select(func.count()).select_from(runs).where(*query.where()))
    return int(total or 0)


@dataclass
class Group:
    """One group of `runStats`: its key values, exact count and duration percentiles (s)."""

    keys: dict[StatsKey, Any]
    count: int
    p50: float | None = None
    p95: float | None = None
    max: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _group_column(key: StatsKey) -> Any:
    if key is StatsKey.DAY:
        return (runs.c.created_ms // DAY_MS).label("day")
    return runs.c[key.value].label(key.value)


def _seconds(ms: Any) -> float | None:
    return None if ms is None else float(ms) / 1000.0


def _rank(n: Any, percent: int) -> Any:
    # Nearest rank: ceil(n × p / 100) in integer arithmetic (SQLite has no CEIL everywhere).
    return (n * percent + 99) // 100


async def stats(engine: AsyncEngine, query: RunQuery, group_by: Sequence[StatsKey]) -> list[Group]:
    """Exact counts and exact nearest-rank p50/p95/max of durations per group."""
    cols = [_group_column(k) for k in group_by]
    names = [c.name for c in cols]
    where = query.where()
    counted = select(*cols, func.count().label("n")).where(*where)
    if cols:
        counted = counted.group_by(*cols)
    duration = (runs.c.stopped_ms - runs.c.started_ms).label("d")
    partition = cols or None
    ranked = (
        select(
            *cols,
            duration,
            func.row_number().over(partition_by=partition, order_by=duration).label("rn"),
            func.count().over(partition_by=partition).label("cnt"),
        )
        .where(*where, runs.c.started_ms.is_not(None), runs.c.stopped_ms.is_not(None))
        .subquery()
    )
    sub = [ranked.c[n] for n in names]
    pct = select(
        *sub,
        func.max(case((ranked.c.rn == _rank(ranked.c.cnt, 50), ranked.c.d))).label("p50"),
        func.max(case((ranked.c.rn == _rank(ranked.c.cnt, 95), ranked.c.d))).label("p95"),
        func.max(ranked.c.d).label("mx"),
    )
    if sub:
        pct = pct.group_by(*sub)
    async with engine.connect() as conn:
        counts = (await conn.execute(counted)).all()
        pcts = (await conn.execute(pct)).all()
    by_key = {tuple(r[i] for i in range(len(names))): r for r in pcts}
    groups = []
    for r in counts:
        key = tuple(r[i] for i in range(len(names)))
        p = by_key.get(key)
        groups.append(
            Group(
                keys={k: key[i] for i, k in enumerate(group_by)},
                count=int(r.n),
                p50=_seconds(p.p50) if p is not None else None,
                p95=_seconds(p.p95) if p is not None else None,
                max=_seconds(p.mx) if p is not None else None,
            )
        )
    groups.sort(key=lambda g: tuple("" if v is None else str(v) for v in g.keys.values()))
    return groups
