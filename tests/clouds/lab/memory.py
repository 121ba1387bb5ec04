"""An in-memory provider over a list: the test seam for paging and loaders, like httpx's
`MockTransport` — no emulator, no wire, every page served from a Python list.

Pages are token-paged (`t<index>`, the index of the page's first item) or offset-paged, and
every page fetched is recorded, so tests assert the upstream calls a query made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gateway.types import Listing, Page, PageRef, ProviderKind, Record


@dataclass
class MemoryProvider:
    """One source over named lists of records (`lists[listing.parent]`), keyed by `key`."""

    name: str
    kind: ProviderKind
    lists: Mapping[str, Sequence[Record]]
    key: str = "id"
    offset_paged: bool = False
    calls: list[tuple[str, str, PageRef, int]] = field(default_factory=list)

    def listing(self, operation: str, parent: str, max_page: int = 100) -> Listing:
        return Listing(operation, (), parent, max_page, offset_paged=self.offset_paged)

    async def fetch_page(self, listing: Listing, ref: PageRef, size: int) -> Page:
        self.calls.append((listing.operation, listing.parent, ref, size))
        items = list(self.lists.get(listing.parent, ()))
        start = self._start(ref)
        end = min(len(items), start + min(size, listing.max_page))
        more = end < len(items)
        next_ref: PageRef = (end if self.offset_paged else f"t{end}") if more else None
        total = len(items) if self.offset_paged else None
        return Page(items[start:end], next_ref, total)

    def item_key(self, listing: Listing, item: Record) -> str:
        return str(item[self.key])

    def record(self, parent: str, key: str) -> Record | None:
        return next((r for r in self.lists.get(parent, ()) if str(r[self.key]) == key), None)

    async def aclose(self) -> None:
        return None

    def _start(self, ref: PageRef) -> int:
        if ref is None:
            return 0
        if isinstance(ref, int):
            return ref
        return int(ref[1:])
