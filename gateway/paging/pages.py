"""Upstream pages as one walk request reads them: one consistent view, bounded, stitched.

A request may answer from a single page of the cross-request page cache, or from pages it reads
from upstream itself: never from a cached page stitched to another page, since the two may show
the list at different moments (a head insertion in between shifts every offset and token, and
the stitch repeats or skips items). Reading a second page after a cached one raises `Mixed`; the
walker then starts the request again with every read fresh. Pages are collected into `Segment`s,
contiguous runs of the list that grow forward (next token/offset) or backward (the token chain
learned while walking forward, checked for contiguity, else a re-walk from the start).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway.errors import ErrorCode, GatewayError
from gateway.paging.cursor import MAX_INLINE_TOKEN, id_hash, store_key
from gateway.paging.slot import Slot
from gateway.paging.store import TokenStore
from gateway.types import Page, PageRef, Record

#: (ref, size, fresh) → (page, whether it came from the cross-request cache).
ViewFetch = Callable[[PageRef, int, bool], Awaitable[tuple[Page, bool]]]
KeyOf = Callable[[Record], str]


class Mixed(Exception):
    """The request would stitch a cached page to another page: read everything fresh."""


class OutOfPages(GatewayError):
    """The request needs more upstream pages than the walk bound allows."""

    def __init__(self) -> None:
        super().__init__(
            "listing needs more upstream pages than allowed; page forward with `first`",
            ErrorCode.QUERY_TOO_COSTLY,
        )


@dataclass
class Segment:
    """A contiguous run of the list read in one view: where it starts and what follows it."""

    slots: list[Slot]
    first_ref: PageRef  # token listings: the ref its first page was read with (None: list start)
    start: int  # offset listings: the absolute offset of its first item
    at_start: bool
    next_ref: PageRef  # where the page after it starts; None once upstream said the list ended

    @property
    def at_end(self) -> bool:
        return self.next_ref is None

    def find(self, digest: bytes, start: int = 0) -> int | None:
        for i in range(start, len(self.slots)):
            if self.slots[i].digest == digest:
                return i
        return None


class Pages:
    """Upstream reads for one walk request: budget, view rule, token chain, long tokens."""

    def __init__(
        self,
        fetch: ViewFetch,
        key_of: KeyOf,
        *,
        max_page: int,
        store: TokenStore,
        chain_ns: str,
        budget: int,
        token_ttl: float,
        offset_paged: bool,
    ) -> None:
        self._fetch = fetch
        self._key_of = key_of
        self.max = max_page
        self._store = store
        self._ns = chain_ns
        self.budget = budget
        self.bound = budget
        self._ttl = token_ttl
        self.offset_paged = offset_paged
        self.total: int | None = None
        self.fresh = False
        self.view: str | None = None  # "cached" or "fresh" once the first page is read
        self._read: dict[tuple[PageRef, int], Page] = {}

    def restart(self, fresh: bool) -> None:
        """Begin the request again; with `fresh`, no page may come from the cache."""
        self.fresh = fresh
        self.view = None
        self._read.clear()

    async def read(self, ref: PageRef, size: int) -> Page:
        size = max(1, min(size, self.max))
        known = self._read.get((ref, size))
        if known is not None:
            return known
        if self.view == "cached":
            raise Mixed
        if self.budget <= 0:
            raise OutOfPages
        self.budget -= 1
        page, cached = await self._fetch(ref, size, self.fresh or self.view == "fresh")
        if self.view is None:
            self.view = "cached" if cached else "fresh"
        self._read[(ref, size)] = page
        if page.total is not None:
            self.total = page.total
        if isinstance(ref, str) and len(ref.encode()) > MAX_INLINE_TOKEN:
            await self._store.put("tok:" + store_key(ref).hex(), ref, self._ttl)
        if isinstance(page.next_ref, str) and not self.offset_paged:
            await self._store.put(self._chain_key(page.next_ref), _pack(ref, size), self._ttl)
        return page

    def _chain_key(self, ref: str) -> str:
        return f"chain:{self._ns}:{store_key(ref).hex()}"

    def slots(self, page: Page, ref: PageRef, size: int) -> list[Slot]:
        key_of = self._key_of
        out = []
        for i, item in enumerate(page.items):
            key = key_of(item)
            out.append(Slot(item, ref, size, i, key, id_hash(key)))
        return out

    # -- segments --------------------------------------------------------------------------------

    async def open(self, ref: PageRef, size: int) -> Segment:
        """A segment of one page read at `ref`."""
        page = await self.read(ref, size)
        start = int(ref or 0) if self.offset_paged else 0
        return Segment(self.slots(page, ref, size), ref, start, ref is None, page.next_ref)

    async def extend_forward(self, seg: Segment, size: int) -> None:
        """Append the next page (upstream may answer it short or even empty: that is progress)."""
        assert seg.next_ref is not None
        ref = seg.next_ref
        page = await self.read(ref, size)
        seg.slots.extend(self.slots(page, ref, size))
        seg.next_ref = page.next_ref

    async def extend_backward(self, seg: Segment) -> Segment:
        """The segment grown by the items just before it (a new segment when re-walked)."""
        if self.offset_paged:
            return await self._back_by_offset(seg)
        ref = seg.first_ref
        assert isinstance(ref, str)
        packed = await self._store.get(self._chain_key(ref))
        if packed is not None:
            prev_ref, prev_size = _unpack(packed)
            page = await self.read(prev_ref, prev_size)
            if page.next_ref == ref:  # still contiguous in this view: prepend it
                seg.slots[:0] = self.slots(page, prev_ref, prev_size)
                seg.first_ref, seg.at_start = prev_ref, prev_ref is None
                return seg
        return await self._rewalk_to(seg)

    async def _rewalk_to(self, seg: Segment) -> Segment:
        """The chain is gone or no longer fits: walk from the start to the segment, bounded."""
        fresh = await self.open(None, self.max)
        target = seg.slots[0].digest if seg.slots else None
        while True:
            at = fresh.find(target) if target is not None else None
            if at is not None:
                fresh.slots[at:] = seg.slots
                fresh.next_ref = seg.next_ref
                return fresh
            if fresh.at_end:
                return fresh
            await self.extend_forward(fresh, self.max)

    async def _back_by_offset(self, seg: Segment) -> Segment:
        end = seg.start
        begin = max(0, end - self.max)
        earlier: list[Slot] = []
        pos = begin
        while pos < end:
            ref: PageRef = pos if pos else None
            page = await self.read(ref, end - pos)
            earlier.extend(self.slots(page, ref, end - pos)[: end - pos])
            if page.next_ref is None or not isinstance(page.next_ref, int):
                break
            pos = page.next_ref
        seg.slots[:0] = earlier
        seg.start, seg.at_start = begin, begin == 0
        return seg


def _pack(ref: PageRef, size: int) -> str:
    if ref is None:
        return f"{size}:n:"
    if isinstance(ref, int):
        return f"{size}:i:{ref}"
    return f"{size}:s:{ref}"


def _unpack(packed: str) -> tuple[PageRef, int]:
    size, kind, rest = packed.split(":", 2)
    ref: PageRef = None if kind == "n" else int(rest) if kind == "i" else rest
    return ref, int(size)
