"""Finding a cursor's place again in a list that changed since: by id, both ways, bounded.

The cursor names the page where its item was read (a hint: insertions and deletions shift it)
and the identity hashes of the item and of its two neighbours. The search grows a contiguous
segment from that page, forward and backward, until it holds the item or the neighbour on the
walk's side (nothing lay between them when the cursor was made, so stepping over the gap loses
only items that arrived later), or the other neighbour with the list's end beyond it. Only when
the item and both neighbours are gone, or the walk bound runs out first, is the answer
`CURSOR_EXPIRED`, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import ErrorCode, GatewayError
from gateway.paging.cursor import NO_ANCHOR, CursorData
from gateway.paging.pages import Mixed, OutOfPages, Pages, Segment
from gateway.types import PageRef

#: Pages grown forward before the search also looks back, when no anchor has been seen yet
#: (insertions at the head, the common change, move an item forward).
_FORWARD_FIRST = 2


def cursor_expired(reason: str) -> GatewayError:
    return GatewayError(
        f"cursor expired: {reason}; page again from the start", ErrorCode.CURSOR_EXPIRED
    )


@dataclass
class Place:
    """Where the cursor sits in `seg`: items after it start at `after`, items before it end at
    `before` (`after` - 1 when its item is still listed)."""

    seg: Segment
    after: int
    before: int


def _first_read(
    pages: Pages, data: CursorData, ref: PageRef, want: int, forward: bool
) -> tuple[PageRef, int]:
    """The cursor's page, grown so one upstream call usually answers the whole request."""
    if pages.offset_paged:
        pos = int(ref or 0) + data.index
        start = max(0, pos - 1) if forward else max(0, pos - want)
        size = (pos - start) + (1 + want if forward else 2)
        return (start if start else None), size
    grown = data.index + 1 + want if forward else data.index + 2
    return ref, max(data.size, grown)


async def align(pages: Pages, data: CursorData, ref: PageRef, want: int, *, forward: bool) -> Place:
    """Find the cursor's place; `want` items past it in the walk's direction are wanted."""
    try:
        return await _search(pages, data, ref, want, forward)
    except OutOfPages:
        raise cursor_expired(
            "upstream moved the cursor's item further than the walk bound lets one request "
            f"search ({pages.bound} upstream pages)"
        ) from None


async def _search(pages: Pages, data: CursorData, ref: PageRef, want: int, forward: bool) -> Place:
    seg = await pages.open(*_first_read(pages, data, ref, want, forward))
    blind_steps = 0
    while True:
        at = seg.find(data.id_hash)
        if at is not None:
            return Place(seg, at + 1, at)
        if pages.view == "cached":
            # A cached page may predate the cursor: without its item it cannot place it.
            raise Mixed
        prev = seg.find(data.prev_hash) if data.prev_hash != NO_ANCHOR else None
        nxt = seg.find(data.next_hash) if data.next_hash != NO_ANCHOR else None
        # The neighbour on the walk's side stands in for the item: between them there was
        # nothing when the cursor was made, so what lies there now came later (at most once).
        # The other neighbour only bounds the search, once the segment reaches the list's end.
        if forward:
            if nxt is not None:
                return Place(seg, nxt, nxt)
            if prev is not None and seg.at_end:
                return Place(seg, prev + 1, prev + 1)
        else:
            if prev is not None:
                return Place(seg, prev + 1, prev + 1)
            if nxt is not None and seg.at_start:
                return Place(seg, nxt, nxt)
        if seg.at_start and seg.at_end:
            raise cursor_expired(
                "the cursor's item and both its neighbours are no longer listed upstream"
            )
        if prev is not None or seg.at_start:
            await pages.extend_forward(seg, pages.max)
        elif nxt is not None or seg.at_end:
            seg = await pages.extend_backward(seg)
        elif blind_steps < _FORWARD_FIRST:
            blind_steps += 1
            await pages.extend_forward(seg, pages.max)
        else:
            seg = await pages.extend_backward(seg)
