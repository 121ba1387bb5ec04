"""The paging law as a checkable model: upstream order over time and one walk's phases.

Insertions go to the head and deletions never reorder, so every item that was ever listed has
one rank in upstream order. A walk is a sequence of phases (one direction each; turning back
starts a new phase at the turning item); within a phase the law says: items come at most once,
in upstream order, and once the phase has passed a stretch, every item present for the whole
phase in that stretch has come. Pages that say nothing more lies that way end the phase: then
every such item beyond the phase's start has come.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Order:
    """Every id ever listed, ranked in upstream order (head insertions rank first)."""

    ids: list[str]
    rank: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.rank = {i: r for r, i in enumerate(self.ids)}

    def insert_head(self, new: list[str]) -> None:
        self.ids[:0] = new
        self.rank = {i: r for r, i in enumerate(self.ids)}


@dataclass
class Phase:
    """One direction of a walk, from `start` (an id: the turning item) or from the list's end;
    `present` and `deleted` are the walk's (shared by its phases)."""

    forward: bool
    present: set[str]  # listed when the walk began
    start: str | None = None
    seen: list[str] = field(default_factory=list)  # in upstream order
    deleted: set[str] = field(default_factory=set)
    ended: bool = False

    def steady(self) -> set[str]:
        """Items present for the whole walk so far."""
        return self.present - self.deleted


class LawBroken(AssertionError):
    """The gateway lost, repeated, reordered or made up an item, or pageInfo lied."""


def check_page(order: Order, phase: Phase, got: list[str], more: bool) -> None:
    """Check one page (ids in upstream order; `more`: hasNextPage/hasPreviousPage that way)."""
    rank = order.rank
    unknown = [i for i in got if i not in rank]
    if unknown:
        raise LawBroken(f"made-up items {unknown}")
    ranks = [rank[i] for i in got]
    if ranks != sorted(set(ranks)):
        raise LawBroken(f"page out of upstream order or repeating within itself: {got}")
    again = set(got) & set(phase.seen)
    if again:
        raise LawBroken(f"items repeated: {sorted(again, key=rank.__getitem__)}")
    if got:
        if phase.forward and phase.seen and ranks[0] < rank[phase.seen[-1]]:
            raise LawBroken(f"went back: {got[0]} after {phase.seen[-1]}")
        if not phase.forward and phase.seen and ranks[-1] > rank[phase.seen[0]]:
            raise LawBroken(f"went forward: {got[-1]} before {phase.seen[0]}")
    if phase.forward:
        phase.seen.extend(got)
    else:
        phase.seen[:0] = got
    _check_passed(order, phase, complete=not more)
    if not got and more:
        raise LawBroken("a page that says more follows returned nothing")
    phase.ended = not more


def _check_passed(order: Order, phase: Phase, complete: bool) -> None:
    """Every steady item in the stretch the phase has covered (or beyond its start, once the
    phase is complete) has come."""
    rank = order.rank
    start = rank[phase.start] if phase.start is not None else None
    if phase.forward:
        low = start if start is not None else -1
        high = rank[phase.seen[-1]] if phase.seen and not complete else None
        stretch = [
            i
            for i in phase.steady()
            if rank[i] > low and (complete or (high is not None and rank[i] <= high))
        ]
    else:
        high_b = start if start is not None else len(order.ids)
        low_b = rank[phase.seen[0]] if phase.seen and not complete else None
        stretch = [
            i
            for i in phase.steady()
            if rank[i] < high_b and (complete or (low_b is not None and rank[i] >= low_b))
        ]
    missing = set(stretch) - set(phase.seen)
    if missing:
        what = "walk ended" if complete else "walk passed"
        raise LawBroken(f"{what} without items present throughout: {sorted(missing, key=rank.get)}")
