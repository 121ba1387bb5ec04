"""The catalogue in the schema: `searchRuns`, `runStats` and `catalog`, read only from it.

Filters are validated before any SQL is sent; the caller's granted sources become part of the
statement (never a filter applied afterwards). `searchRuns` pages by keyset (order key + row
id) inside the same sealed, connection-bound cursors as every other connection. A database
that is down or locked answers CATALOG_UNAVAILABLE on these fields alone.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from gateway.catalog import queries as q
from gateway.catalog import rollup
from gateway.catalog.database import CatalogUnavailable
from gateway.catalog.records import from_ms, to_ms
from gateway.catalog.store import now_us
from gateway.errors import bad_input
from gateway.graph.catalog_types import (
    CatalogInfo,
    CatalogSource,
    DurationStats,
    OrderDirection,
    RunFilter,
    RunOrder,
    RunStatsGroup,
    RunStatsKey,
)
from gateway.graph.context import Info
from gateway.graph.interfaces import PageInfo, Run, RunConnection, RunEdge
from gateway.graph.roots import RunType
from gateway.paging.cursor import MAX_INLINE_TOKEN, CursorError, StoredRef, store_key
from gateway.paging.window import Slot, Window, cursor_expired
from gateway.states import RunState
from gateway.upstream.connection import Connection, check_page_args

if TYPE_CHECKING:
    from gateway.catalog.service import Catalog


#: Each cloud's Run type by its kind's config name (`Cloud.run_type`, filled by the schema).
RUN_MAKERS: dict[str, RunType] = {}
MAX_TEXT = 256


def _fresh_only(info: Info) -> None:
    """Catalogue answers change with every sync: a whole answer holding one is not kept."""
    loaders = info.context.loaders
    loaders.expires_at = min(loaders.expires_at, time.monotonic())


def catalog_of(info: Info) -> Catalog:
    _fresh_only(info)
    found: Catalog | None = getattr(info.context.upstream, "catalog", None)
    if found is None or not found.ready:
        raise CatalogUnavailable("the run catalogue is not enabled on this gateway")
    return found


def _window(after: datetime | None, before: datetime | None, what: str) -> tuple[int | None, ...]:
    lo, hi = to_ms(after), to_ms(before)
    if lo is not None and hi is not None and lo >= hi:
        raise bad_input(f"`{what}After` must be earlier than `{what}Before`")
    return lo, hi


def run_query(info: Info, catalog: Catalog, flt: RunFilter | None) -> q.RunQuery:
    """The filter as SQL will apply it, scoped to the caller's sources; no SQL on bad input."""
    flt = flt or RunFilter()
    upstream = info.context.upstream
    granted = list(upstream.providers)
    names = granted
    if flt.sources is not None:
        if not flt.sources:
            raise bad_input("`sources` must name at least one source")
        for name in flt.sources:
            upstream.authorize(name)
            if name not in upstream.providers:
                raise bad_input(f"unknown source {name!r}")
        names = flt.sources
    created = _window(flt.created_after, flt.created_before, "created")
    stopped = _window(flt.stopped_after, flt.stopped_before, "stopped")
    for label, text in (("nameContains", flt.name_contains), ("workflow", flt.workflow)):
        if text is not None and not 1 <= len(text) <= MAX_TEXT:
            raise bad_input(f"`{label}` must be 1..{MAX_TEXT} characters")
    if flt.batch_id is not None and not 1 <= len(flt.batch_id) <= 128:
        raise bad_input("`batchId` must be 1..128 characters")
    tags = tuple((t.key, t.value) for t in flt.tags or ())
    if len(tags) > 10 or any(not 1 <= len(k) <= 128 or len(v) > 256 for k, v in tags):
        raise bad_input("`tags`: at most 10, keys 1..128 and values ≤ 256 characters")
    return q.RunQuery(
        source_keys=catalog.granted_keys(names),
        providers=tuple(p.value.value for p in flt.providers or ()),
        states=tuple(s.value for s in flt.states or ()),
        created_after=created[0],
        created_before=created[1],
        stopped_after=stopped[0],
        stopped_before=stopped[1],
        name_contains=flt.name_contains,
        workflow=flt.workflow,
        batch_id=flt.batch_id,
        tags=tags,
        include_deleted=flt.include_deleted,
    )


def _order(order: RunOrder | None) -> q.RunOrder:
    order = order or RunOrder()
    return q.RunOrder(q.OrderField[order.field.value], order.direction is OrderDirection.DESC)


# -- cursors: keyset inside the project's sealed cursors ----------------------------------------


def _binding(query: q.RunQuery, order: q.RunOrder) -> bytes:
    digest = hashlib.blake2b(repr((query, order)).encode(), digest_size=8).hexdigest()
    return f"catalog\x1fsearchRuns\x1f{digest}".encode()


def _token(keyset: q.Keyset, as_of: int) -> str:
    kind = "i" if isinstance(keyset.value, int) else "s"
    return f"{kind}{keyset.id}:{as_of}:{keyset.value}"


def _keyset(token: str) -> tuple[q.Keyset, int]:
    """(keyset, when the walk began) from a cursor's sealed token."""
    kind, rest = token[:1], token[1:]
    ident, _, rest = rest.partition(":")
    as_of, _, value = rest.partition(":")
    if kind not in ("i", "s") or not ident.isdigit() or not as_of.isdigit():
        raise bad_input("invalid cursor")
    return q.Keyset(int(value) if kind == "i" else value, int(ident)), int(as_of)


async def _open(info: Info, cursor: str, conn: bytes) -> tuple[q.Keyset, int]:
    up = info.context.upstream
    try:
        data = up.codec.decode(cursor, conn)
    except CursorError as exc:
        raise bad_input(f"invalid cursor: {exc}") from None
    ref = data.ref
    if isinstance(ref, StoredRef):
        stored = await up.store.get("tok:" + ref.key.hex())
        if stored is None:
            raise cursor_expired("the token store no longer holds this cursor's place")
        ref = stored
    if not isinstance(ref, str):
        raise bad_input("invalid cursor")
    return _keyset(ref)


async def _slot(info: Info, row: q.CatalogRun, size: int, as_of: int) -> Slot:
    token = _token(row.keyset, as_of)
    if len(token.encode()) > MAX_INLINE_TOKEN:
        cfg = info.context.upstream.settings.cursors
        await info.context.upstream.store.put(
            "tok:" + store_key(token).hex(), token, cfg.token_ttl_seconds
        )
    return Slot(item=row.record, ref=token, size=size, index=0, key=str(row.id))


def _make_run(row: q.CatalogRun, source: str) -> Run:
    run = RUN_MAKERS[row.provider].make(source, row.record)
    run.synced_at = from_ms(row.synced_ms)
    run.deleted_upstream = row.deleted
    if row.deleted and hasattr(run, "_detail"):
        run._detail = row.record  # upstream has no more to say about it
    return run


async def kept_run(info: Info, type_name: str, source: str, native_id: str) -> Run | None:
    """A run upstream answers NOT_FOUND for that the catalogue keeps as deleted, else None."""
    _fresh_only(info)
    catalog: Catalog | None = getattr(info.context.upstream, "catalog", None)
    run_types = {getattr(t, "__name__", "") for t in RUN_MAKERS.values()}
    if type_name not in run_types or catalog is None or not catalog.ready:
        return None
    key = catalog.source_key(source)
    if key is None or source not in info.context.upstream.providers:
        return None
    try:
        row = await q.kept_deleted(catalog.engine, key, native_id)
    except (SQLAlchemyError, OSError):
        return None  # the upstream's NOT_FOUND stands
    return None if row is None else _make_run(row, source)


async def kept_run_by_source(info: Info, source: str, native_id: str) -> Run | None:
    provider = info.context.upstream.providers.get(source)
    if provider is None:
        return None
    run_type = RUN_MAKERS.get(provider.kind.value)
    if run_type is None:
        return None
    return await kept_run(info, getattr(run_type, "__name__", ""), source, native_id)


def _selects(info: Info, name: str) -> bool:
    return any(
        getattr(sel, "name", None) == name
        for field in info.selected_fields
        for sel in getattr(field, "selections", [])
    )


async def search_runs(
    info: Info,
    flt: RunFilter | None,
    order: RunOrder | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> RunConnection:
    catalog = catalog_of(info)
    check_page_args(first, last)
    query, keyed = run_query(info, catalog, flt), _order(order)
    conn = _binding(query, keyed)
    opened_after = await _open(info, after, conn) if after is not None else None
    opened_before = await _open(info, before, conn) if before is not None else None
    opened = opened_after or opened_before
    # A walk keeps the instant its first page was read: rows whose key moved since are left
    # out of its later pages (they may have been met already), so none is met twice.
    as_of = opened[1] if opened is not None else now_us()
    since = as_of if opened is not None else None
    names = list(info.context.upstream.providers)
    engine = catalog.engine
    try:
        if first is not None:
            cursor_after = opened_after[0] if opened_after else None
            found = await q.search(
                engine, query, keyed, limit=first, cursor=cursor_after, as_of=since
            )
            has_next = found.has_more
            has_prev = cursor_after is not None and await q.any_at_or_beyond(
                engine, query, keyed, cursor_after, toward_start=True
            )
        else:
            assert last is not None
            cursor_before = opened_before[0] if opened_before else None
            found = await q.search(
                engine, query, keyed, limit=last, cursor=cursor_before, backward=True, as_of=since
            )
            has_prev = found.has_more
            has_next = cursor_before is not None and await q.any_at_or_beyond(
                engine, query, keyed, cursor_before, toward_start=False
            )
        total = await rollup.count(engine, query) if _selects(info, "totalCount") else None
    except (SQLAlchemyError, OSError) as exc:
        raise CatalogUnavailable() from exc
    size = first if first is not None else last
    assert size is not None
    slots = [await _slot(info, row, size, as_of) for row in found.rows]
    window = Window(slots=slots, has_previous=has_prev, total=total, _has_next=has_next)
    connection = Connection(window, info.context.upstream.codec, conn)
    edges = []
    for slot, row in zip(slots, found.rows, strict=True):
        source = catalog.name_of(row.source_key, names)
        if source is None:  # a key no granted name maps to is never selected; belt and braces
            continue
        edges.append(RunEdge(node=_make_run(row, source), _slot=slot, _conn=connection))
    info_ = PageInfo(
        has_previous_page=has_prev,
        start_cursor=connection.cursor(slots[0]) if slots else None,
        end_cursor=connection.cursor(slots[-1]) if slots else None,
        _window=window,
    )
    return RunConnection(edges=edges, page_info=info_, total_count=total)


async def run_stats(
    info: Info, flt: RunFilter | None, group_by: list[RunStatsKey]
) -> list[RunStatsGroup]:
    catalog = catalog_of(info)
    if len(set(group_by)) != len(group_by):
        raise bad_input("`groupBy` names a key twice")
    query = run_query(info, catalog, flt)
    keys = [q.StatsKey[k.value] for k in group_by]
    try:
        groups = await rollup.stats(catalog.engine, query, keys)
    except (SQLAlchemyError, OSError) as exc:
        raise CatalogUnavailable() from exc
    names = list(info.context.upstream.providers)
    out = []
    kinds = {p.kind.value: p.kind for p in info.context.upstream.root.providers.values()}
    for g in groups:
        k = g.keys
        day = k.get(q.StatsKey.DAY)
        source_key = k.get(q.StatsKey.SOURCE)
        out.append(
            RunStatsGroup(
                source=None if source_key is None else catalog.name_of(source_key, names),
                provider=kinds.get(k.get(q.StatsKey.PROVIDER) or ""),
                state=None if k.get(q.StatsKey.STATE) is None else RunState(k[q.StatsKey.STATE]),
                workflow=k.get(q.StatsKey.WORKFLOW),
                day=None if day is None else datetime.fromtimestamp(int(day) * 86_400, UTC).date(),
                count=g.count,
                duration_seconds=DurationStats(p50=g.p50, p95=g.p95, max=g.max),
            )
        )
    return out


async def catalog_info(info: Info) -> CatalogInfo:
    _fresh_only(info)
    found: Catalog | None = getattr(info.context.upstream, "catalog", None)
    if found is None or not found.ready:
        return CatalogInfo(enabled=False, sources=[])
    statuses = await found.status(list(info.context.upstream.providers))
    return CatalogInfo(
        enabled=True,
        sources=[
            CatalogSource(
                source=s.name,
                last_sweep_at=None
                if s.last_sweep_at is None
                else datetime.fromtimestamp(s.last_sweep_at, UTC),
                lag_seconds=s.lag_seconds,
                runs=s.runs,
                settled_runs_with_tasks=s.settled_runs_with_tasks,
                last_error=s.last_error,
            )
            for s in statuses
        ],
    )
