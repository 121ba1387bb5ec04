"""One resolved window of one connection, and the rules every connection's arguments obey."""

from __future__ import annotations

import hashlib

from gateway.errors import bad_input
from gateway.paging.cursor import CursorCodec
from gateway.paging.window import Slot, Window
from gateway.types import Listing

MAX_PAGE_ARG = 100


def connection_id(source: str, listing: Listing) -> bytes:
    """What a cursor is bound to: source, operation, parent and a hash of the filters."""
    params = repr(listing.params).encode()
    digest = hashlib.blake2b(params, digest_size=8).hexdigest()
    return f"{source}\x1f{listing.operation}\x1f{listing.parent}\x1f{digest}".encode()


def check_page_args(first: int | None, last: int | None) -> None:
    """GitHub's rule: exactly one of `first`/`last`, each within 1..100."""
    if first is None and last is None:
        raise bad_input("connections need `first` or `last`")
    if first is not None and last is not None:
        raise bad_input("pass `first` or `last`, not both")
    value = first if first is not None else last
    name = "first" if first is not None else "last"
    if value is None or not 1 <= value <= MAX_PAGE_ARG:
        raise bad_input(f"`{name}` must be between 1 and {MAX_PAGE_ARG}")


class Connection:
    """One resolved window of one connection, with cursors sealed for that connection."""

    def __init__(self, window: Window, codec: CursorCodec, conn: bytes) -> None:
        self.window = window
        self._codec = codec
        self._conn = conn

    @property
    def slots(self) -> list[Slot]:
        return self.window.slots

    def cursor(self, slot: Slot) -> str:
        return self._codec.encode(slot.cursor_data(), self._conn)
