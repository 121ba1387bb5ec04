"""The root Query: sources, node/nodes, and batches and runs by source, for every cloud.

Root fields dispatch by the source's cloud through the registry the schema was built with
(`clouds_of`); this module names no cloud. A cloud's own root fields (`dataZoneJob`) arrive
through `Cloud.query_fields` and are merged in by `schema.build_schema`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol, cast

import strawberry

from gateway.clouds.base import Cloud, Clouds
from gateway.errors import ErrorCode, GatewayError, bad_input, quoted
from gateway.graph import catalog as cat
from gateway.graph import catalog_types as ct
from gateway.graph.context import Info
from gateway.graph.ids import parse_global_id
from gateway.graph.interfaces import Batch, BatchConnection, Node, Run, RunConnection, Source
from gateway.graph.relay import PageArgs, relay
from gateway.graph.roots import BatchFilters, BatchRoots, RunFilters, RunListRoots

NOT_FOUND = ErrorCode.NOT_FOUND


class _HasClouds(Protocol):
    clouds: Clouds


def clouds_of(info: Info) -> Clouds:
    """The registry the executing schema was built with (`schema.GatewaySchema`)."""
    return cast(_HasClouds, info.schema).clouds


def _cloud(info: Info, source: str) -> Cloud:
    provider = info.context.upstream.provider(source)
    cloud = clouds_of(info).by_kind(provider.kind.value)
    if cloud is None:  # a provider no registered cloud built: a wiring mistake, not the client's
        raise GatewayError(f"source {source!r} has no cloud", ErrorCode.INTERNAL)
    return cloud


def _lacks(source: str, cloud: Cloud, what: str) -> GatewayError:
    hint = f"; {cloud.hint}" if cloud.hint else ""
    return bad_input(f"source {quoted(source)} ({cloud.kind.value}) has no {what}{hint}")


def _batches(info: Info, source: str) -> BatchRoots:
    """The source's cloud's batch roots; BAD_USER_INPUT (no call) where it has no batches."""
    cloud = _cloud(info, source)
    if cloud.batches is None:
        raise _lacks(source, cloud, "batches")
    return cloud.batches


def _run_lists(info: Info, source: str) -> RunListRoots:
    cloud = _cloud(info, source)
    if cloud.run_lists is None:
        raise _lacks(source, cloud, "run listing")
    return cloud.run_lists


async def resolve_node(info: Info, value: str) -> Node:
    """Any object by its global id, scoped to the client: `node`, `nodes`, `_entities` and the
    subscriptions all come here, so they share loaders, authorisation and errors."""
    type_name, source, key = parse_global_id(value)
    info.context.upstream.authorize(source)
    cloud = clouds_of(info).for_type(type_name)
    if cloud is None:
        raise bad_input(f"malformed id {quoted(value)}: unknown type {quoted(type_name)}")
    provider = info.context.upstream.providers.get(source)
    if provider is None or provider.kind != cloud.kind:
        raise GatewayError("node not found", ErrorCode.NOT_FOUND)
    try:
        return await cloud.roots.node(info, type_name, source, key)
    except GatewayError as exc:  # deleted upstream, still kept by the catalogue?
        kept = await cat.kept_run(info, type_name, source, key) if exc.code is NOT_FOUND else None
        if kept is None:
            raise
        return kept


@strawberry.type
class Query:
    @strawberry.field(description="The configured sources this client may read.")
    def sources(self, info: Info) -> list[Source]:
        providers = info.context.upstream.providers
        return [
            Source(name=s.name, provider=providers[s.name].kind, region=s.region)
            for s in info.context.upstream.settings.sources
            if s.name in providers
        ]

    @strawberry.field(description="Any object by its global id; null (with NOT_FOUND) if gone.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Objects by global ids, each null (with an error) if absent.")
    def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        resolved: list[Awaitable[Node]] = [resolve_node(info, i) for i in ids]
        return resolved  # type: ignore[return-value]  # graphql-core awaits each item alone

    @strawberry.field(description="One batch (HealthOmics batch or Tencent run group).")
    async def batch(self, info: Info, source: str, id: str) -> Batch | None:
        return await _batches(info, source).batch(info, source, id)

    @strawberry.field(description="Batches of a source (HealthOmics ListBatch).")
    @relay(filters=BatchFilters)
    async def batches(
        self, info: Info, source: str, *, filters: BatchFilters, page: PageArgs
    ) -> BatchConnection | None:
        return await _batches(info, source).batches(info, source, filters, page)

    @strawberry.field(description="One run by its upstream id.")
    async def run(self, info: Info, source: str, id: str) -> Run | None:
        try:
            return await _cloud(info, source).roots.run(info, source, id)
        except GatewayError as exc:  # deleted upstream, still kept by the catalogue?
            kept = await cat.kept_run_by_source(info, source, id) if exc.code is NOT_FOUND else None
            if kept is None:
                raise
            return kept

    @strawberry.field(
        description="Runs of a source. `batchId` is a HealthOmics batch or Tencent run group; "
        "`runGroupId` is HealthOmics' own run group (a compute pool)."
    )
    @relay(filters=RunFilters)
    async def runs(
        self, info: Info, source: str, *, filters: RunFilters, page: PageArgs
    ) -> RunConnection | None:
        return await _run_lists(info, source).runs(info, source, filters, page)

    @strawberry.field(
        description="Runs of every source you may read, from the catalogue: filtered, ordered, "
        "counted exactly. Null with CATALOG_UNAVAILABLE when the catalogue is down."
    )
    async def search_runs(
        self,
        info: Info,
        filter: ct.RunFilter | None = None,
        order_by: ct.RunOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> RunConnection | None:
        return await cat.search_runs(info, filter, order_by, first, after, last, before)

    @strawberry.field(description="Counts and durations of catalogued runs, grouped.")
    async def run_stats(
        self,
        info: Info,
        group_by: list[ct.RunStatsKey],
        filter: ct.RunFilter | None = None,
    ) -> list[ct.RunStatsGroup] | None:
        return await cat.run_stats(info, filter, group_by)

    @strawberry.field(description="How fresh the run catalogue is, per source you may read.")
    async def catalog(self, info: Info) -> ct.CatalogInfo | None:
        return await cat.catalog_info(info)
