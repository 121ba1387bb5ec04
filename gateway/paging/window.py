"""Relay windows over forward-only upstream paging: the cursor law lives here.

Upstream lists forward only, by opaque token or by offset, with pages of whatever length it
likes, and the list may change between any two client requests. Relay asks for `first/after`
and `last/before` of any size. A `Walker` answers one request: it finds the cursor's item again
by identity (`align`), reads on in one consistent upstream view (`pages`), and hands back the
window with each item's neighbours recorded so the next request can re-align. The law (see
docs/cursors.md): walking forward or backward with any page sizes, while items are inserted and
deleted anywhere between requests, every item present for the whole walk appears exactly once,
in upstream order; items that come or go during the walk appear at most once; `hasNextPage` /
`hasPreviousPage` are false only when no such item follows / precedes. A change beyond what the
walk bound can re-align is `CURSOR_EXPIRED` with its reason, never a silent loss or repeat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gateway.paging.align import align, cursor_expired
from gateway.paging.cursor import CursorData, StoredRef
from gateway.paging.pages import KeyOf, Mixed, Pages, Segment, ViewFetch
from gateway.paging.slot import Slot, link
from gateway.paging.store import TokenStore
from gateway.types import Page, PageRef

__all__ = ["Fetch", "Slot", "Walker", "Window", "cursor_expired"]

Fetch = Callable[[PageRef, int], Awaitable[Page]]


@dataclass
class Window:
    """The items of one connection request plus truthful page info."""

    slots: list[Slot]
    has_previous: bool
    total: int | None = None
    _has_next: bool | None = None
    _look_ahead: Callable[[], Awaitable[bool]] | None = field(default=None, repr=False)

    async def has_next(self) -> bool:
        """Truthful even when upstream ended a full page on a token: then one more call."""
        if self._has_next is None:
            assert self._look_ahead is not None
            self._has_next = await self._look_ahead()
        return self._has_next


class Walker:
    """Walks one upstream listing for one request; `chain_ns` namespaces what it learns.

    `fetch` reads a page (from the cache or upstream, one view); `view_fetch`, when given, also
    says whether the page came from the cross-request cache and can be told to skip it.
    """

    def __init__(
        self,
        fetch: Fetch | None,
        key_of: KeyOf,
        *,
        max_page: int,
        store: TokenStore,
        chain_ns: str,
        max_walk_pages: int,
        token_ttl: float,
        offset_paged: bool = False,
        view_fetch: ViewFetch | None = None,
    ) -> None:
        if view_fetch is None:
            assert fetch is not None
            plain = fetch

            async def one_view(ref: PageRef, size: int, fresh: bool) -> tuple[Page, bool]:
                return await plain(ref, size), False

            view_fetch = one_view
        self._store = store
        self.pages = Pages(
            view_fetch,
            key_of,
            max_page=max_page,
            store=store,
            chain_ns=chain_ns,
            budget=max_walk_pages,
            token_ttl=token_ttl,
            offset_paged=offset_paged,
        )

    @property
    def total(self) -> int | None:
        return self.pages.total

    async def resolve(self, ref: PageRef | StoredRef) -> PageRef:
        """A cursor's reference as upstream wants it; a token gone from the store has expired."""
        if not isinstance(ref, StoredRef):
            return ref
        token = await self._store.get("tok:" + ref.key.hex())
        if token is None:
            raise cursor_expired("the upstream token behind this cursor is no longer kept")
        return token

    async def forward(self, n: int, after: CursorData | None) -> Window:
        """`first: n` (after a cursor or from the start): n items and a truthful hasNextPage."""
        ref = await self.resolve(after.ref) if after is not None else None
        try:
            return await self._forward(n, after, ref)
        except Mixed:
            self.pages.restart(fresh=True)
            return await self._forward(n, after, ref)

    async def backward(self, n: int, before: CursorData | None) -> Window:
        """`last: n` (before a cursor or from the end): n items and a truthful hasPreviousPage."""
        ref = await self.resolve(before.ref) if before is not None else None
        try:
            return await self._backward(n, before, ref)
        except Mixed:
            self.pages.restart(fresh=True)
            return await self._backward(n, before, ref)

    # -- forward -------------------------------------------------------------------------------

    async def _forward(self, n: int, after: CursorData | None, ref: PageRef) -> Window:
        want = n + 1
        pages = self.pages
        if after is None:
            seg = await pages.open(None, want)
            start = 0
        else:
            place = await align(pages, after, ref, want, forward=True)
            seg, start = place.seg, place.after
        while len(seg.slots) - start < want and not seg.at_end:
            await pages.extend_forward(seg, want - (len(seg.slots) - start))
        run = seg.slots[max(0, start - 1) :]
        link(run, follow=not pages.offset_paged)
        slots = seg.slots[start:]
        window = Window(slots[:n], has_previous=after is not None, total=pages.total)
        if len(slots) > n:
            window._has_next = True
        elif seg.at_end:
            window._has_next = False
        else:
            window._look_ahead = self._probe(seg, want)
        return window

    def _probe(self, seg: Segment, size: int) -> Callable[[], Awaitable[bool]]:
        """Whether anything follows the window, read in the same view as the window."""

        async def look() -> bool:
            pages = self.pages
            last = seg.slots[-1] if seg.slots else None
            if pages.view == "cached" and last is not None:
                # The window came from one cached page; the page after it must not be read from
                # another moment: ask again, fresh, from the window's last item.
                pages.restart(fresh=True)
                data = last.cursor_data()
                ref = await self.resolve(data.ref)
                return await (await self._forward(0, data, ref)).has_next()
            while not seg.at_end:
                before = len(seg.slots)
                await pages.extend_forward(seg, size)
                if len(seg.slots) > before:
                    return True
            return False

        return look

    # -- backward ------------------------------------------------------------------------------

    async def _backward(self, n: int, before: CursorData | None, ref: PageRef) -> Window:
        want = n + 1
        pages = self.pages
        if before is None:
            seg = await self._tail(want)
            end = len(seg.slots)
        else:
            place = await align(pages, before, ref, want, forward=False)
            seg, end = place.seg, place.before
        boundary = seg.slots[end].digest if end < len(seg.slots) else None
        while end < want and not seg.at_start:
            seg = await pages.extend_backward(seg)
            end = len(seg.slots) if boundary is None else _index(seg, boundary)
        link(seg.slots[max(0, end - want) : end + 1], follow=not pages.offset_paged)
        slots = seg.slots[max(0, end - want) : end]
        window = Window(slots[-n:], has_previous=len(slots) > n, total=pages.total)
        window._has_next = before is not None
        return window

    async def _tail(self, want: int) -> Segment:
        """The end of the list: offset listings count themselves, token listings are walked."""
        pages = self.pages
        seg = await pages.open(None, pages.max)
        if pages.offset_paged and pages.total is not None and not seg.at_end:
            start = max(0, pages.total - want)
            seg = await pages.open(start if start else None, pages.total - start)
        while not seg.at_end:
            await pages.extend_forward(seg, pages.max)
        return seg


def _index(seg: Segment, digest: bytes) -> int:
    found = seg.find(digest)
    assert found is not None, "a segment keeps its items when it grows"
    return found
