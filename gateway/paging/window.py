"""Relay windows over forward-only upstream paging: the cursor law lives here.

Upstream lists forward only, by opaque token or by offset, with pages of whatever length it
likes. Relay asks for `first/after` and `last/before` of any size. A `Walker` answers those by
walking upstream pages, finding an item again by its identity hash when pages shift, and learning
the chain of tokens as it goes so it can walk back. The law: any sequence of windows, forward or
backward, yields every upstream item exactly once, in upstream order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gateway.errors import ErrorCode, GatewayError
from gateway.paging.cursor import MAX_INLINE_TOKEN as _MAX_INLINE
from gateway.paging.cursor import CursorData, StoredRef, id_hash, store_key
from gateway.paging.store import TokenStore
from gateway.types import Page, PageRef, Record

Fetch = Callable[[PageRef, int], Awaitable[Page]]
KeyOf = Callable[[Record], str]


def cursor_expired(message: str = "cursor expired; page again from the start") -> GatewayError:
    return GatewayError(message, ErrorCode.CURSOR_EXPIRED)


@dataclass(slots=True)
class Slot:
    """One item and where it lives upstream, enough to build its cursor."""

    item: Record
    ref: PageRef
    size: int
    index: int
    key: str

    def cursor_data(self) -> CursorData:
        ref: PageRef | StoredRef = self.ref
        if isinstance(ref, str) and len(ref.encode()) > _MAX_INLINE:
            ref = StoredRef(store_key(ref))
        return CursorData(ref, self.size, self.index, id_hash(self.key))


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
    """Walks one upstream listing for one connection; `chain_ns` namespaces what it learns."""

    def __init__(
        self,
        fetch: Fetch,
        key_of: KeyOf,
        *,
        max_page: int,
        store: TokenStore,
        chain_ns: str,
        max_walk_pages: int,
        token_ttl: float,
        offset_paged: bool = False,
    ) -> None:
        self._fetch_page = fetch
        self._key_of = key_of
        self._max = max_page
        self._store = store
        self._ns = chain_ns
        self._budget = max_walk_pages
        self._ttl = token_ttl
        self._offset_paged = offset_paged
        self.total: int | None = None

    # -- upstream access, learning the token chain and long tokens on the way ----------------

    async def _fetch(self, ref: PageRef, size: int) -> Page:
        if self._budget <= 0:
            raise GatewayError(
                "listing needs more upstream pages than allowed; page forward with `first`",
                ErrorCode.QUERY_TOO_COSTLY,
            )
        self._budget -= 1
        page = await self._fetch_page(ref, size)
        if page.total is not None:
            self.total = page.total
        if isinstance(ref, str) and len(ref.encode()) > _MAX_INLINE:
            await self._store.put("tok:" + store_key(ref).hex(), ref, self._ttl)
        if isinstance(page.next_ref, str) and not self._offset_paged:
            await self._store.put(self._chain_key(page.next_ref), _pack(ref, size), self._ttl)
        return page

    def _chain_key(self, ref: str) -> str:
        return f"chain:{self._ns}:{store_key(ref).hex()}"

    async def resolve(self, ref: PageRef | StoredRef) -> PageRef:
        """A cursor's reference as upstream wants it; a token gone from the store has expired."""
        if not isinstance(ref, StoredRef):
            return ref
        token = await self._store.get("tok:" + ref.key.hex())
        if token is None:
            raise cursor_expired()
        return token

    def _slots(self, page: Page, ref: PageRef, size: int, start: int = 0) -> list[Slot]:
        key_of = self._key_of
        return [
            Slot(item, ref, size, i, key_of(item))
            for i, item in enumerate(page.items[start:], start)
        ]

    def _locate(self, page: Page, data: CursorData) -> int | None:
        items = page.items
        hint = data.index
        if hint < len(items) and id_hash(self._key_of(items[hint])) == data.id_hash:
            return hint
        for i, item in enumerate(items):
            if id_hash(self._key_of(item)) == data.id_hash:
                return i
        return None

    # -- forward -------------------------------------------------------------------------------

    async def forward(self, n: int, after: CursorData | None) -> Window:
        """`first: n` (after a cursor or from the start): n items and a truthful hasNextPage."""
        want = n + 1
        slots: list[Slot] = []
        if after is None:
            ref: PageRef = None
            page = await self._fetch(None, min(want, self._max))
            slots.extend(self._slots(page, None, min(want, self._max)))
        else:
            ref, page, start = await self._find(after)
            slots.extend(self._slots(page, ref, after.size, start))
        while len(slots) < want and page.next_ref is not None:
            ref = page.next_ref
            size = min(want - len(slots), self._max)
            page = await self._fetch(ref, size)
            slots.extend(self._slots(page, ref, size))
        window = Window(slots[:n], has_previous=after is not None, total=self.total)
        if len(slots) > n:
            window._has_next = True
        elif page.next_ref is None:
            window._has_next = False
        else:
            window._look_ahead = self._probe(page.next_ref, min(want, self._max))
        return window

    async def _find(self, data: CursorData) -> tuple[PageRef, Page, int]:
        """Re-fetch the cursor's page and return where the items after it start."""
        ref = await self.resolve(data.ref)
        page = await self._fetch(ref, data.size)
        at = self._locate(page, data)
        if at is not None:
            return ref, page, at + 1
        # The page shifted: the item may have moved a page on. Look a little further.
        probe_ref, probe = ref, page
        for _ in range(2):
            if probe.next_ref is None:
                break
            probe_ref = probe.next_ref
            probe = await self._fetch(probe_ref, data.size)
            at = self._locate(probe, data)
            if at is not None:
                return probe_ref, probe, at + 1
        # Gone upstream (deleted): resume by position, the best that is still truthful.
        return ref, page, min(data.index + 1, len(page.items))

    def _probe(self, ref: PageRef, size: int) -> Callable[[], Awaitable[bool]]:
        async def look() -> bool:
            next_ref: PageRef = ref
            while next_ref is not None:
                page = await self._fetch(next_ref, size)
                if page.items:
                    return True
                next_ref = page.next_ref
            return False

        return look

    # -- backward ------------------------------------------------------------------------------

    async def backward(self, n: int, before: CursorData | None) -> Window:
        """`last: n` (before a cursor or from the end): n items and a truthful hasPreviousPage."""
        want = n + 1
        if before is None:
            slots = await (
                self._tail_offset(want) if self._offset_paged else self._tail(want, None)
            )
            has_next = False
        else:
            slots = await self._before(want, before)
            has_next = True
        window = Window(slots[-n:] if n else [], has_previous=len(slots) > n, total=self.total)
        window._has_next = has_next
        return window

    async def _tail(self, want: int, stop: CursorData | None) -> list[Slot]:
        """Walk from the start keeping the last `want` items (before `stop`, if given)."""
        kept: deque[Slot] = deque(maxlen=want)
        ref: PageRef = None
        while True:
            page = await self._fetch(ref, self._max)
            for slot in self._slots(page, ref, self._max):
                if stop is not None and id_hash(slot.key) == stop.id_hash:
                    return list(kept)
                kept.append(slot)
            if page.next_ref is None:
                if stop is not None:
                    raise cursor_expired("cursor's item is no longer listed upstream")
                return list(kept)
            ref = page.next_ref

    async def _tail_offset(self, want: int) -> list[Slot]:
        """Offset listings count themselves: read the first page, then jump to the end."""
        first = await self._fetch(None, self._max)
        if self.total is None or first.next_ref is None:
            return self._slots(first, None, self._max)[-want:]
        return await self._before_offset(want, [], self.total)

    async def _before(self, want: int, data: CursorData) -> list[Slot]:
        ref = await self.resolve(data.ref)
        page = await self._fetch(ref, data.size)
        at = self._locate(page, data)
        if at is None:
            return await self._tail(want, data)
        collected: list[Slot] = self._slots(page, ref, data.size)[:at]
        if self._offset_paged:
            return await self._before_offset(want, collected, ref)
        # The chain holds the pages earlier walks asked for, however small; when it would cost
        # more than half the budget, re-walking from the start in full pages is cheaper.
        chain_steps = max(2, self._budget // 2)
        while len(collected) < want and ref is not None:
            assert isinstance(ref, str)
            packed = await self._store.get(self._chain_key(ref))
            chain_steps -= 1
            if packed is None or chain_steps < 0:
                # The chain was forgotten (restart, eviction) or is too fine: re-walk, bounded.
                return await self._tail(want, data)
            ref, size = _unpack(packed)
            page = await self._fetch(ref, size)
            collected = self._slots(page, ref, size) + collected
        return collected[-want:]

    async def _before_offset(self, want: int, collected: list[Slot], ref: PageRef) -> list[Slot]:
        """Offsets are positions: read forward from far enough back to fill the window."""
        end = int(ref or 0)
        start = max(0, end - (want - len(collected)))
        earlier: list[Slot] = []
        pos: PageRef = start
        while isinstance(pos, int) and pos < end:
            size = min(end - pos, self._max)
            page = await self._fetch(pos if pos else None, size)
            earlier.extend(self._slots(page, pos if pos else None, size)[: end - pos])
            if page.next_ref is None:
                break
            pos = page.next_ref
        return (earlier + collected)[-want:]


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
