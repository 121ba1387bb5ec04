"""The root Query: sources, node/nodes, and batches and runs by source."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import strawberry

from gateway.clouds.datazone.graph import DataZoneJob, DataZoneJobRun, DataZoneRoots
from gateway.clouds.healthomics.graph import HealthOmicsRoots, HealthOmicsRun
from gateway.clouds.tencent.graph import TencentRoots, TencentRun
from gateway.errors import ErrorCode, GatewayError, bad_input
from gateway.graph import catalog as cat
from gateway.graph.context import Info
from gateway.graph.ids import parse_global_id
from gateway.graph.interfaces import (
    Batch,
    BatchConnection,
    Node,
    Run,
    RunConnection,
    Source,
    page_args,
    page_info,
)
from gateway.types import ProviderKind

#: Each provider's root resolvers; adding a cloud adds one entry.
ROOTS: dict[ProviderKind, Any] = {
    ProviderKind.HEALTHOMICS: HealthOmicsRoots(),
    ProviderKind.TENCENT_OMICS: TencentRoots(),
    ProviderKind.DATAZONE: DataZoneRoots(),
}

NOT_FOUND = ErrorCode.NOT_FOUND
cat.RUN_MAKERS.update(
    {
        ProviderKind.HEALTHOMICS: HealthOmicsRun.make,
        ProviderKind.TENCENT_OMICS: TencentRun.make,
        ProviderKind.DATAZONE: DataZoneJobRun.make,
    }
)


def _roots(info: Info, source: str) -> Any:
    provider = info.context.upstream.provider(source)
    roots = ROOTS.get(provider.kind)
    if roots is None:
        raise bad_input(f"source {source!r} does not serve this field")
    return roots


async def resolve_node(info: Info, value: str) -> Any:
    """Any object by its global id, scoped to the client: `node`, `nodes`, `_entities` and the
    subscriptions all come here, so they share loaders, authorisation and errors."""
    type_name, source, key = parse_global_id(value)
    info.context.upstream.authorize(source)
    kind = next((k for k, r in ROOTS.items() if type_name in r.node_types), None)
    if kind is None:
        raise bad_input(f"malformed id {value!r}: unknown type {type_name}")
    provider: Any = info.context.upstream.providers.get(source)
    if provider is None or provider.kind is not kind:
        raise GatewayError("node not found", ErrorCode.NOT_FOUND)
    try:
        return await ROOTS[kind].node(info, type_name, source, key)
    except GatewayError as exc:  # deleted upstream, still kept by the catalogue?
        kept = await cat.kept_run(info, type_name, source, key) if exc.code is NOT_FOUND else None
        if kept is None:
            raise
        return kept


@strawberry.type
class Query:
    @strawberry.field(description="The configured sources this client may read.")
    def sources(self, info: Info) -> list[Source]:
        return [
            Source(name=s.name, provider=s.provider, region=s.region)
            for s in info.context.upstream.settings.sources
            if s.name in info.context.upstream.providers
        ]

    @strawberry.field(description="Any object by its global id; null (with NOT_FOUND) if gone.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        result: Node | None = await resolve_node(info, id)
        return result

    @strawberry.field(description="Objects by global ids, each null (with an error) if absent.")
    def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        resolved: list[Awaitable[Any]] = [resolve_node(info, i) for i in ids]
        return resolved  # type: ignore[return-value]  # graphql-core awaits each item alone

    @strawberry.field(description="One batch (HealthOmics batch or Tencent run group).")
    async def batch(self, info: Info, source: str, id: str) -> Batch | None:
        result: Batch | None = await _roots(info, source).batch(info, source, id)
        return result

    @strawberry.field(description="Batches of a source (HealthOmics ListBatch).")
    async def batches(
        self,
        info: Info,
        source: str,
        status: str | None = None,
        name: str | None = None,
        run_group_id: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> BatchConnection | None:
        filters = {"status": status, "name": name, "run_group_id": run_group_id}
        conn, edges = await _roots(info, source).batches(
            info, source, filters, page_args(first, after, last, before)
        )
        return BatchConnection(
            edges=edges, page_info=page_info(conn), total_count=conn.window.total
        )

    @strawberry.field(description="One run by its upstream id.")
    async def run(self, info: Info, source: str, id: str) -> Run | None:
        try:
            result: Run | None = await _roots(info, source).run(info, source, id)
        except GatewayError as exc:  # deleted upstream, still kept by the catalogue?
            kept = await cat.kept_run_by_source(info, source, id) if exc.code is NOT_FOUND else None
            if kept is None:
                raise
            return kept
        return result

    @strawberry.field(
        description="Runs of a source. `batchId` is a HealthOmics batch or Tencent run group; "
        "`runGroupId` is HealthOmics' own run group (a compute pool)."
    )
    async def runs(
        self,
        info: Info,
        source: str,
        batch_id: str | None = None,
        run_group_id: str | None = None,
        status: str | None = None,
        name: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> RunConnection | None:
        filters = {
            "batch_id": batch_id,
            "run_group_id": run_group_id,
            "status": status,
            "name": name,
        }
        result: RunConnection = await _roots(info, source).runs(
            info, source, filters, page_args(first, after, last, before)
        )
        return result

    @strawberry.field(
        description="A DataZone job by id in the source's domain: a handle (DataZone has no "
        "GetJob); its `runs` answer NOT_FOUND when ListJobRuns says the job does not exist."
    )
    def data_zone_job(self, info: Info, source: str, id: str) -> DataZoneJob | None:
        roots = _roots(info, source)
        if not isinstance(roots, DataZoneRoots):
            raise bad_input(f"source {source!r} is not a DataZone source")
        return roots.job(info, source, id)

    @strawberry.field(
        description="Runs of every source you may read, from the catalogue: filtered, ordered, "
        "counted exactly. Null with CATALOG_UNAVAILABLE when the catalogue is down."
    )
    async def search_runs(
        self,
        info: Info,
        filter: cat.RunFilter | None = None,
        order_by: cat.RunOrder | None = None,
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
        group_by: list[cat.RunStatsKey],
        filter: cat.RunFilter | None = None,
    ) -> list[cat.RunStatsGroup] | None:
        return await cat.run_stats(info, filter, group_by)

    @strawberry.field(description="How fresh the run catalogue is, per source you may read.")
    async def catalog(self, info: Info) -> cat.CatalogInfo | None:
        return await cat.catalog_info(info)
