"""What Query asks of a cloud: its root resolvers, as small Protocols.

A cloud implements `Roots` (node and run by id) and, where its upstream has them, `BatchRoots`
and `RunListRoots`; Query refuses a root a source's cloud lacks with the cloud's own hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from gateway.graph.context import Info
from gateway.graph.interfaces import Batch, BatchConnection, Node, Run, RunConnection
from gateway.graph.relay import PageArgs


@dataclass(frozen=True)
class BatchFilters:
    status: str | None = None
    name: str | None = None
    run_group_id: str | None = None


@dataclass(frozen=True)
class RunFilters:
    batch_id: str | None = None
    run_group_id: str | None = None
    status: str | None = None
    name: str | None = None


class Roots(Protocol):
    """Every cloud: any of its objects by global id, and one run by upstream id."""

    @property
    def node_types(self) -> frozenset[str]: ...

    async def node(self, info: Info, type_name: str, source: str, key: str) -> Node: ...

    async def run(self, info: Info, source: str, run_id: str) -> Run: ...


@runtime_checkable
class BatchRoots(Protocol):
    """Clouds with batches (HealthOmics batches, Tencent run groups)."""

    async def batch(self, info: Info, source: str, batch_id: str) -> Batch: ...

    async def batches(
        self, info: Info, source: str, filters: BatchFilters, page: PageArgs
    ) -> BatchConnection: ...


@runtime_checkable
class RunListRoots(Protocol):
    """Clouds that list runs by source."""

    async def runs(
        self, info: Info, source: str, filters: RunFilters, page: PageArgs
    ) -> RunConnection: ...
