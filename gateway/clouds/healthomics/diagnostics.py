"""HealthOmics logs and cost in the graph: log connections, error excerpts, manifests, prices.

Every read goes through the request's loaders and the shared cache: a log page or a manifest of
a settled run keeps like any settled listing; a price keeps `[pricing] ttl_seconds` (a day) in
the cache backend, shared by replicas, keyed by region and resource type only.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from gateway.cache.upstream import cache_key
from gateway.clouds.healthomics import cost as formulas
from gateway.clouds.healthomics.cost import Manifest, parse_manifest
from gateway.clouds.healthomics.logs import EXCERPT_SCAN, WHOLE_PAGE, task_stream
from gateway.clouds.healthomics.pricing import Price
from gateway.clouds.healthomics.provider import HealthOmicsProvider
from gateway.errors import ErrorCode, GatewayError, bad_input
from gateway.graph.context import Info
from gateway.graph.interfaces import PageInfo
from gateway.graph.logs import LogLineConnection, excerpt, log_connection, require_logs
from gateway.graph.relay import PageArgs
from gateway.paging.window import Window

Figures = dict[str, Any]


def _provider(info: Info, source: str) -> HealthOmicsProvider:
    return info.context.upstream.provider_as(source, HealthOmicsProvider)


def _empty() -> LogLineConnection:
    window = Window([], has_previous=False, _has_next=False)
    info = PageInfo(has_previous_page=False, start_cursor=None, end_cursor=None, _window=window)
    return LogLineConnection(edges=[], page_info=info, total_count=0)


# -- logs ---------------------------------------------------------------------------------------


async def log_lines(
    info: Info,
    source: str,
    stream: str,
    page: PageArgs,
    *,
    settled: bool,
    since: datetime | None = None,
    until: datetime | None = None,
    contains: str | None = None,
) -> LogLineConnection:
    """One window of a stream (or of its lines holding `contains`). A stream that does not
    exist (yet) is an empty connection: its owner exists, it just wrote nothing."""
    require_logs(info)
    logs = _provider(info, source).logs
    if since is not None and until is not None and since >= until:
        raise bad_input("`since` must be before `until`")
    listing = (
        logs.stream(stream, since, until)
        if contains is None
        else logs.search(stream, contains, since, until)
    )
    try:
        conn = await info.context.loaders.connection(logs, listing, settled=settled, **page)
    except GatewayError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return _empty()
        raise
    return log_connection(conn)


async def error_excerpt(info: Info, source: str, run_id: str, task_id: str) -> list[str] | None:
    """The last error lines of a failed task's log (one GetLogEvents from the end, cached)."""
    require_logs(info)
    logs = _provider(info, source).logs

    async def tail(stream: str) -> list[str]:
        try:
            events = await logs.tail(stream, EXCERPT_SCAN)
        except GatewayError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return []
            raise
        return [str(e.get("message", "")) for e in events]

    loader = info.context.loaders.each(source, "LogTail", tail, settled=True)
    lines: list[str] = await loader.load(task_stream(run_id, task_id))
    return excerpt(lines) if lines else None


# -- manifests and prices -----------------------------------------------------------------------


async def manifest(info: Info, source: str, run_id: str, run_uuid: str) -> Manifest | None:
    """The run's manifest (every page of its stream); None until the run has ended."""
    loaders = info.context.loaders
    logs = _provider(info, source).logs

    async def batch(keys: list[tuple[str, str]]) -> list[Manifest | None]:
        async def one(key: tuple[str, str]) -> Manifest | None:
            listing = logs.stream(f"manifest/run/{key[0]}/{key[1]}", max_page=WHOLE_PAGE)
            try:
                events = await loaders.walk_all(logs, listing, settled=True)
            except GatewayError as exc:
                if exc.code is ErrorCode.NOT_FOUND:
                    return None
                raise
            return parse_manifest(str(e.get("message", "")) for e in events)

        return list(await asyncio.gather(*(one(k) for k in keys)))

    found: Manifest | None = await loaders.loader(source, "Manifest", batch).load(
        (run_id, run_uuid)
    )
    return found


async def price(info: Info, source: str, resource_type: str) -> Price | None:
    """A price in the source's region: once per request, once a day across requests."""
    provider = _provider(info, source)
    settings = info.context.upstream.settings.pricing
    prices = provider.prices(settings)
    region = provider.config.region
    up = info.context.upstream
    origin = "api" if prices.from_api else f"table:{settings.table_path or 'shipped'}"

    async def batch(keys: list[str]) -> list[Price | None]:
        async def one(resource: str) -> Price | None:
            async def fetch() -> dict[str, Any]:
                found = await prices.price(region, resource)
                return {} if found is None else {"usd": found.usd, "source": found.source}

            cached = await up.cache.get(
                cache_key("pricing", origin, region, resource),
                fetch,
                lambda _: settings.ttl_seconds,
                fresh=info.context.loaders.fresh,
            )
            return Price(cached["usd"], cached["source"]) if cached else None

        return list(await asyncio.gather(*(one(k) for k in keys)))

    found: Price | None = await info.context.loaders.loader(source, "Price", batch).load(
        resource_type
    )
    return found


# -- figures ------------------------------------------------------------------------------------


def usage(task: Figures) -> Figures:
    m = formulas.metric
    cpus, cpu_max = m(task, "cpusReserved"), m(task, "cpusMaximum")
    mem, mem_max = m(task, "memoryReservedGiB"), m(task, "memoryMaximumGiB")
    return {
        "cpus_reserved": cpus,
        "cpus_maximum": cpu_max,
        "cpus_average": m(task, "cpusAverage"),
        "memory_reserved_gib": mem,
        "memory_maximum_gib": mem_max,
        "memory_average_gib": m(task, "memoryAverageGiB"),
        "gpus_reserved": m(task, "gpusReserved"),
        "running_seconds": _running(task),
        "cpu_utilization": cpu_max / cpus if cpus and cpu_max is not None else None,
        "memory_utilization": mem_max / mem if mem and mem_max is not None else None,
    }


def _running(record: Figures) -> float | None:
    running = formulas.running_seconds(record)
    return running if running is not None else formulas.metric(record, "runningSeconds")


async def task_cost(info: Info, source: str, task: Figures) -> Figures:
    instance = task.get("instanceType")
    running = _running(task)
    found = await price(info, source, str(instance)) if instance else None
    figures: Figures = {
        "instance_type": instance,
        "billed_seconds": None if running is None else formulas.billed_seconds(running),
        "price_source": None if found is None else found.source,
        "usd": None,
        "reason": None,
    }
    if running is None:
        figures["reason"] = "the manifest has no start and stop time for this task"
    elif found is None:
        figures["reason"] = f"no price for {instance} in this region"
    else:
        figures["usd"] = formulas.compute_usd(found.usd, running)
    return figures


async def recommendation(info: Info, source: str, task: Figures, headroom: float) -> Figures:
    if not 0.0 <= headroom <= 1.0:
        raise bad_input("`headroom` must be between 0 and 1")
    current = await task_cost(info, source, task)
    chosen = formulas.recommend(task, headroom)
    running = _running(task)
    found = await price(info, source, chosen) if chosen else None
    usd = None if found is None or running is None else formulas.compute_usd(found.usd, running)
    savings = None if usd is None or current["usd"] is None else current["usd"] - usd
    reason = None if usd is not None else f"no price or time for {chosen or 'this task'}"
    return {
        "instance_type": chosen or None,
        "usd": usd,
        "savings_usd": savings,
        "price_source": None if found is None else found.source,
        "reason": reason,
    }


async def run_cost(info: Info, source: str, found: Manifest) -> Figures:
    """Compute (every task) plus storage of one manifest; `complete` false where any is
    missing, and the sums cover only what could be priced."""
    run = found.run or {}
    tasks = await asyncio.gather(*(task_cost(info, source, t) for t in found.tasks.values()))
    compute = sum(t["usd"] for t in tasks if t["usd"] is not None)
    complete = found.run is not None and all(t["usd"] is not None for t in tasks)
    sources = {t["price_source"] for t in tasks if t["price_source"]}
    storage_usd: float | None = None
    gib = formulas.charged_storage_gib(run)
    resource = formulas.storage_resource(run)
    running = _running(run)
    storage_price = await price(info, source, resource) if resource else None
    if gib is not None and storage_price is not None and running is not None:
        storage_usd = formulas.storage_usd(storage_price.usd, gib, running)
        sources.add(storage_price.source)
    else:
        complete = False
    reserved = formulas.metric(run, "storageReservedGiB")
    peak = formulas.metric(run, "storageMaximumGiB")
    return {
        "compute_usd": compute,
        "storage_usd": storage_usd,
        "total_usd": compute + (storage_usd or 0.0),
        "complete": complete,
        "price_sources": sorted(sources),
        "reason": None if complete else "a price, a time or a storage figure is missing",
        "storage": {
            "storage_type": run.get("storageType"),
            "reserved_gib": reserved,
            "maximum_gib": peak,
            "average_gib": formulas.metric(run, "storageAverageGiB"),
            "charged_gib": gib,
            "utilization": peak / reserved if reserved and peak is not None else None,
            "running_seconds": running,
        },
    }
