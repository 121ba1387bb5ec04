"""Listing items of the HealthOmics world: views of full records, built as they are read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, overload

from gateway.emulator.aws.protocol import service_model
from gateway.emulator.healthomics.timeline import RunPlan

Item = dict[str, Any]


def project(shape_name: str, full: Item, **extra: Any) -> Item:
    """Keep the members the model's list shape has: a list item is a view of the full record."""
    members = service_model("omics").shape_for(shape_name).members
    merged = {**full, **extra}
    return {k: merged[k] for k in members if merged.get(k) is not None}


class LazyItems(Sequence[Item]):
    """A listing built item by item as it is read: large worlds list without building all."""

    def __init__(self, plans: list[RunPlan], build: Callable[[RunPlan], Item]) -> None:
        self._plans = plans
        self._build = build

    def __len__(self) -> int:
        return len(self._plans)

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...
    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        if isinstance(index, slice):
            return [self._build(p) for p in self._plans[index]]
        return self._build(self._plans[index])
