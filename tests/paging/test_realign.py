"""Re-alignment at the walker itself, over an in-memory list paged by offset-backed tokens:
the cases of the issue one by one, and the two reasons for CURSOR_EXPIRED at the bound."""

from __future__ import annotations

import pytest

from gateway.errors import ErrorCode, GatewayError
from gateway.paging.cursor import CursorData
from gateway.paging.store import MemoryTokenStore
from gateway.paging.window import Walker
from gateway.types import Page, PageRef


class Listing:
    """A list that changes between requests, paged like the emulator: tokens hold offsets."""

    def __init__(self, n: int) -> None:
        self.items = [f"i{k:03}" for k in range(n)]
        self.made = 0

    async def fetch(self, ref: PageRef, size: int) -> Page:
        start = int(str(ref)[1:]) if ref is not None else 0
        end = min(len(self.items), start + size)
        rows = [{"id": i} for i in self.items[start:end]]
        return Page(rows, f"t{end}" if end < len(self.items) else None)

    def insert_head(self, count: int) -> None:
        self.made += count
        self.items[:0] = [f"new{self.made - k}" for k in range(count)]

    def delete(self, *ids: str) -> None:
        self.items = [i for i in self.items if i not in ids]


def walker(listing: Listing, bound: int = 50) -> Walker:
    return Walker(
        listing.fetch,
        lambda item: str(item["id"]),
        max_page=5,
        store=MemoryTokenStore(),
        chain_ns="t",
        max_walk_pages=bound,
        token_ttl=60,
    )


async def forward(
    listing: Listing, n: int, after: CursorData | None
) -> tuple[list[str], CursorData]:
    window = await walker(listing).forward(n, after)
    return [s.key for s in window.slots], window.slots[-1].cursor_data()


async def backward(listing: Listing, n: int, before: CursorData) -> tuple[list[str], CursorData]:
    window = await walker(listing).backward(n, before)
    return [s.key for s in window.slots], window.slots[0].cursor_data()


async def test_the_cursors_own_item_deleted_forward_and_backward() -> None:
    listing = Listing(30)
    got, end = await forward(listing, 8, None)
    assert got == listing.items[:8]
    listing.delete("i007")
    got, _ = await forward(listing, 4, end)
    assert got == ["i008", "i009", "i010", "i011"]
    got, _ = await backward(listing, 3, end)
    assert got == ["i004", "i005", "i006"]


async def test_an_item_before_the_cursor_deleted_and_a_burst_at_the_head() -> None:
    listing = Listing(40)
    _, end = await forward(listing, 12, None)
    listing.delete("i002", "i003", "i004")
    listing.insert_head(23)  # far more than one page of 5 ahead
    got, end = await forward(listing, 6, end)
    assert got == ["i012", "i013", "i014", "i015", "i016", "i017"]
    got, _ = await backward(listing, 4, end)
    assert got == ["i013", "i014", "i015", "i016"]


async def test_item_and_one_neighbour_gone_still_resumes() -> None:
    listing = Listing(20)
    _, end = await forward(listing, 5, None)  # end on i004: neighbours i003, i005
    listing.delete("i004", "i005")
    got, _ = await forward(listing, 3, end)
    assert got == ["i006", "i007", "i008"]
    got, _ = await backward(listing, 2, end)
    assert got == ["i002", "i003"]


async def test_beyond_the_bound_is_cursor_expired_with_the_reason() -> None:
    listing = Listing(20)
    _, end = await forward(listing, 5, None)
    listing.delete("i003", "i004", "i005")
    with pytest.raises(GatewayError) as gone:
        await forward(listing, 2, end)
    assert gone.value.code is ErrorCode.CURSOR_EXPIRED
    assert "both its neighbours are no longer listed" in str(gone.value)

    listing = Listing(20)
    _, end = await forward(listing, 5, None)
    listing.insert_head(60)  # 12 pages of 5 between the cursor's page and its item
    with pytest.raises(GatewayError) as far:
        await Walker(
            listing.fetch,
            lambda item: str(item["id"]),
            max_page=5,
            store=MemoryTokenStore(),
            chain_ns="t",
            max_walk_pages=4,
            token_ttl=60,
        ).forward(2, end)
    assert far.value.code is ErrorCode.CURSOR_EXPIRED
    assert "walk bound" in str(far.value) and "4 upstream pages" in str(far.value)
