"""The catalogue's answers computed the slow, obvious way in Python: the tests' ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.catalog.queries import OrderField, RunOrder, RunQuery
from gateway.catalog.records import RunRow
from gateway.catalog.tables import MISSING


@dataclass
class Truth:
    """What a test put in the catalogue: rows by (source key, native id), ids, deletions."""

    rows: dict[tuple[str, str], RunRow] = field(default_factory=dict)
    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    deleted: set[tuple[str, str]] = field(default_factory=set)
    created_fallback: dict[tuple[str, str], int] = field(default_factory=dict)


def order_key(row: RunRow, order: OrderField, created: int) -> int | str:
    started, stopped = row.started_ms, row.stopped_ms
    if order is OrderField.CREATED_AT:
        return row.created_ms if row.created_ms is not None else created
    if order is OrderField.STARTED_AT:
        return MISSING if started is None else started
    if order is OrderField.STOPPED_AT:
        return MISSING if stopped is None else stopped
    if order is OrderField.DURATION:
        return MISSING if started is None or stopped is None else stopped - started
    return (row.name or "")[:256]


def matches(key: tuple[str, str], row: RunRow, q: RunQuery, truth: Truth) -> bool:
    created = row.created_ms if row.created_ms is not None else truth.created_fallback[key]
    stopped = row.stopped_ms
    checks = [
        key[0] in q.source_keys,
        not q.providers or row.provider.value in q.providers,
        not q.states or row.state.value in q.states,
        q.created_after is None or created >= q.created_after,
        q.created_before is None or created < q.created_before,
        q.stopped_after is None or (stopped is not None and stopped >= q.stopped_after),
        q.stopped_before is None or (stopped is not None and stopped < q.stopped_before),
        not q.name_contains
        or (row.name is not None and q.name_contains.lower() in row.name.lower()),
        q.workflow is None or row.workflow == q.workflow,
        q.batch_id is None or row.batch_id == q.batch_id,
        all(row.tags.get(k) == v for k, v in q.tags),
        q.include_deleted or key not in truth.deleted,
    ]
    return all(checks)


def expected(truth: Truth, q: RunQuery, order: RunOrder) -> list[tuple[str, str]]:
    """(source key, native id) of every matching row, in the order's direction."""
    keyed = [
        (order_key(row, order.field, truth.created_fallback.get(key, 0)), truth.ids[key], key)
        for key, row in truth.rows.items()
        if matches(key, row, q, truth)
    ]
    keyed.sort(key=lambda t: (t[0], t[1]), reverse=order.descending)
    return [k for _, _, k in keyed]
