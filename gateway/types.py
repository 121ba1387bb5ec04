"""The provider contract: records, pages, listings and the Protocol every cloud implements.

A provider turns one upstream API into calls that return plain upstream records (dicts with the
upstream's own field names) and pages of them, and turns every upstream failure into one
`gateway.errors.UpstreamError`. Like starlette's `types.py`, this imports nothing of ours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Record = Mapping[str, Any]
#: Where a page starts upstream: None for the first page, a token (str) or an offset (int).
PageRef = str | int | None


@dataclass(frozen=True, slots=True)
class ProviderKind:
    """An upstream API the gateway speaks: `value` names it in config, `name` in GraphQL.

    Each cloud declares its own (`clouds/<cloud>/states.py`); the registry the app is built
    with decides which exist, so a cloud defined outside `gateway/` is one more instance.
    """

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Page:
    """One upstream page: its records in upstream order and where the next page starts.

    `next_ref` is None when upstream says the listing ended; `total` is set where upstream
    counts the whole listing (Tencent's TotalCount).
    """

    items: Sequence[Record]
    next_ref: PageRef = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """One upstream listing with its fixed arguments; paging moves only `ref` and `size`.

    `operation` is the upstream operation name, `params` its non-paging arguments, `parent` the
    id of what is being listed (a batch, a run, a job) or "" for a root listing.
    """

    operation: str
    params: tuple[tuple[str, Any], ...] = ()
    parent: str = ""
    max_page: int = 100
    offset_paged: bool = False

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.params)


class Provider(Protocol):
    """One upstream account + region, as the loaders see it."""

    name: str
    kind: ProviderKind

    async def fetch_page(self, listing: Listing, ref: PageRef, size: int) -> Page:
        """Fetch one page of `listing` starting at `ref` with at most `size` items."""
        ...

    def item_key(self, listing: Listing, item: Record) -> str:
        """The identity of an item of `listing`, used to find it again when pages shift."""
        ...

    async def aclose(self) -> None:
        """Release clients and connections."""
        ...
