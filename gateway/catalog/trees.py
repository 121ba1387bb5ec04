"""Settled runs' task lists served from the catalogue, page by page, as upstream would page them.

A settled run's tasks (a Tencent run's top-level calls) never change except by deletion, so
once catalogued a tree reads them here: 0 upstream task-list calls, the stored upstream order,
the same connection cursors. Tencent calls are kept without their `Input` unless `[catalog]
store_parameters = true`; a call served from here reads its `input` upstream only when that
field is selected (`TencentRunCall.input`). HealthOmics pages by token, so pages here are
referred to by a `cat:<offset>` token; Tencent pages by offset, as here.
"""

from __future__ import annotations

from gateway.catalog.records import HO, TC
from gateway.catalog.store import Store
from gateway.types import Listing, Page, PageRef, ProviderKind

_PREFIX = "cat:"


def stored_listing(kind: ProviderKind, listing: Listing) -> tuple[str, str] | None:
    """(run native id, stored path) when `listing` is one the catalogue keeps, else None."""
    params = dict(listing.params)
    op = listing.operation
    # A status filter is not what was stored: such listings read upstream.
    if kind is HO and op == "ListRunTasks" and set(params) == {"id"}:
        return str(params["id"]), ""
    if kind is TC and op == "GetRunCalls" and params.get("Path") == "/":
        return str(params["RunUuid"]), "/"
    return None


def _offset(kind: ProviderKind, ref: PageRef) -> int | None:
    if ref is None:
        return 0
    if isinstance(ref, int):
        return ref if kind is TC else None
    if ref.startswith(_PREFIX) and ref[len(_PREFIX) :].isdigit():
        return int(ref[len(_PREFIX) :])
    return None  # an upstream token: this walk began upstream, let it go on there


async def stored_page(
    store: Store, source_key: str, kind: ProviderKind, listing: Listing, ref: PageRef, size: int
) -> Page | None:
    """One page of a catalogued task list, or None when the catalogue does not hold it."""
    found = stored_listing(kind, listing)
    offset = _offset(kind, ref)
    if found is None or offset is None:
        return None
    items = await store.task_items(source_key, found[0], found[1])
    if items is None:
        return None
    end = min(len(items), offset + size)
    more = end < len(items)
    if kind is TC:
        return Page(items[offset:end], end if more else None, len(items))
    return Page(items[offset:end], f"{_PREFIX}{end}" if more else None)
