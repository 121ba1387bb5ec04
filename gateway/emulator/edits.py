"""Lists that change on command: insertions at the head and deletions, applied on every read.

Real lists change while clients page them (a batch gains runs, runs are deleted). Tests steer
the change through the control API (`/_emulator/lists`) between two client requests and check
the gateway's paging law over the same wire protocol the real clients use. Each cloud's data
module keeps one `ListEdits` and passes every listing it answers through `view`; a scope names
one listing (`(operation, parent)`), so a run group's runs and a project's runs share a scope
when they are one upstream list seen through a filter.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
Scope = tuple[str, str]

_HEX = frozenset("0123456789abcdef")


class EditError(ValueError):
    """An edit the listing cannot take (unknown listing, position out of range, empty list)."""


@dataclass
class ListEdits(Generic[T]):
    """Per scope: items inserted at the head (newest first) and ids deleted."""

    seed: int
    _inserted: dict[Scope, list[T]] = field(default_factory=dict)
    _deleted: dict[Scope, set[str]] = field(default_factory=dict)
    _made: int = 0

    def view(self, scope: Scope, items: Sequence[T], key: Callable[[T], str]) -> Sequence[T]:
        """`items` as the listing shows them now: insertions first, deletions gone."""
        inserted = self._inserted.get(scope)
        deleted = self._deleted.get(scope)
        if not inserted and not deleted:
            return items
        gone = deleted or set()
        return [x for x in [*(inserted or []), *items] if key(x) not in gone]

    def insert(self, scope: Scope, items: Sequence[T]) -> None:
        """Put `items` at the head, in the order given, before everything listed so far."""
        self._inserted[scope] = [*items, *self._inserted.get(scope, [])]

    def delete(self, scope: Scope, ids: Sequence[str]) -> None:
        self._deleted.setdefault(scope, set()).update(ids)

    def inserted(self, scope: Scope) -> list[T]:
        return list(self._inserted.get(scope, []))

    def reset(self) -> None:
        self._inserted.clear()
        self._deleted.clear()

    def fresh_id(self, like: str) -> str:
        """A new id shaped like `like` (digits stay digits, hex stays hex, letters keep case),
        deterministic per emulator seed and call, so parsers that check id shapes accept it."""
        self._made += 1
        digest = hashlib.sha256(f"{self.seed}:{self._made}:{like}".encode()).digest()
        # A short alphabetic prefix ("rg-", "dzd_") names the kind of id: it stays.
        head, sep, body = like.partition("-") if "-" in like[:5] else like.partition("_")
        if not (sep and head.isalpha() and len(head) <= 4):
            head, sep, body = "", "", like
        hexy = all(c in _HEX or not c.isalnum() for c in body)
        out = [head, sep]
        for i, c in enumerate(body):
            b = digest[i % len(digest)] + i // len(digest)
            if c.isdigit():
                out.append(string.digits[b % 10])
            elif hexy and c.isalnum():
                out.append("0123456789abcdef"[b % 16])
            elif c.isupper():
                out.append(string.ascii_uppercase[b % 26])
            elif c.isalpha():
                out.append(string.ascii_lowercase[b % 26])
            else:
                out.append(c)
        return "".join(out)


@dataclass(frozen=True)
class Change:
    """One control-API edit of one listing, positions counted in the listing as it is now."""

    insert: int = 0
    delete_ids: tuple[str, ...] = ()
    at: int | None = None
    before: int | None = None
    after: int | None = None
    count: int = 1

    @classmethod
    def parse(cls, body: dict[str, object]) -> Change:
        def number(name: str) -> int | None:
            value = body.get(name)
            if value is None:
                return None
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise EditError(f"`{name}` must be a non-negative integer")
            return value

        ids = body.get("ids", [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise EditError("`ids` must be a list of strings")
        change = cls(
            insert=number("insert") or 0,
            delete_ids=tuple(ids),
            at=number("at"),
            before=number("before"),
            after=number("after"),
            count=number("count") or 1,
        )
        chosen = [x for x in (change.at, change.before, change.after) if x is not None]
        if len(chosen) > 1:
            raise EditError("give at most one of `at`, `before`, `after`")
        if not change.insert and not chosen and not change.delete_ids:
            raise EditError("nothing to change: give `insert`, `ids`, `at`, `before` or `after`")
        return change

    def victims(self, ids: Sequence[str]) -> list[str]:
        """The ids this change deletes from a listing that shows `ids` now."""
        out = list(self.delete_ids)
        if self.at is not None:
            out += _slice(ids, self.at, self.at + 1)
        elif self.before is not None:
            out += _slice(ids, self.before - self.count, self.before, anchor=self.before)
        elif self.after is not None:
            out += _slice(ids, self.after + 1, self.after + 1 + self.count, anchor=self.after)
        return out


def _slice(ids: Sequence[str], start: int, end: int, anchor: int | None = None) -> list[str]:
    pos = anchor if anchor is not None else start
    if not 0 <= pos < max(1, len(ids)) or (anchor is None and pos >= len(ids)):
        raise EditError(f"position {pos} is outside the listing ({len(ids)} items)")
    return list(ids[max(0, start) : max(0, end)])
