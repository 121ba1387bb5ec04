"""One listed item and where it lives upstream: enough to build its cursor."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.paging.cursor import (
    MAX_INLINE_TOKEN,
    NO_ANCHOR,
    CursorData,
    StoredRef,
    id_hash,
    store_key,
)
from gateway.types import PageRef, Record


@dataclass(slots=True)
class Slot:
    """An item, the page it was read on (ref, size asked, index) and its identity hash; `prev`
    and `next` are its neighbours' hashes as this walk saw them (the re-alignment anchors)."""

    item: Record
    ref: PageRef
    size: int
    index: int
    key: str
    digest: bytes = b""
    prev: bytes = NO_ANCHOR
    next: bytes = NO_ANCHOR
    #: The page its successor begins, when known (token listings): the next request after
    #: this item reads that page first instead of re-reading the item's own.
    follow: tuple[PageRef, int] | None = None

    def __post_init__(self) -> None:
        if not self.digest:
            self.digest = id_hash(self.key)

    def cursor_data(self) -> CursorData:
        ref: PageRef | StoredRef = self.ref
        size, index = self.size, self.index
        if self.follow is not None:
            (ref, size), index = self.follow, 0
        if isinstance(ref, str) and len(ref.encode()) > MAX_INLINE_TOKEN:
            ref = StoredRef(store_key(ref))
        return CursorData(ref, size, index, self.digest, self.prev, self.next)


def link(run: Sequence[Slot], *, follow: bool) -> None:
    """Record each item's neighbours within a contiguous run of the list (and, with `follow`,
    the page its successor begins, when the successor begins one)."""
    for a, b in itertools.pairwise(run):
        a.next = b.digest
        b.prev = a.digest
        if follow and b.index == 0 and (b.ref, b.size) != (a.ref, a.size):
            a.follow = (b.ref, b.size)
