"""Tencent loaders: runs and run groups by id lists, GetRunStatus only on demand.

N runs asked for in one request cost ⌈N/chunk⌉ DescribeRuns calls with a RunUuid filter
(`limits.tencent_describe_chunk`), never N GetRunStatus calls; listings prime the run loader.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiodataloader import DataLoader

from gateway.clouds.tencent.provider import TencentOmicsProvider
from gateway.clouds.tencent.states import KIND
from gateway.errors import ErrorCode, GatewayError
from gateway.graph.context import Info
from gateway.types import Record

GROUP_CHUNK = 100


def not_found(kind: str, source: str) -> GatewayError:
    """Absent upstream: the element is null and the error says so, with the source."""
    return GatewayError(f"{kind} not found", ErrorCode.NOT_FOUND, source=source, provider=KIND)


def _by_ids(
    info: Info, source: str, kind: str, id_key: str, chunk: int, fetch: Any
) -> DataLoader[str, Record]:
    """A loader answering N ids with ⌈N/chunk⌉ upstream calls (chunks run concurrently)."""

    async def batch(keys: list[str]) -> list[Record | GatewayError]:
        chunks = [keys[i : i + chunk] for i in range(0, len(keys), chunk)]
        results = await asyncio.gather(*(fetch(c) for c in chunks), return_exceptions=True)
        found: dict[str, Record] = {}
        failed: dict[str, BaseException] = {}
        for part, result in zip(chunks, results, strict=True):
            if isinstance(result, BaseException):
                failed.update(dict.fromkeys(part, result))
                continue
            found.update((str(r[id_key]), r) for r in result)
        out: list[Any] = []
        for k in keys:
            out.append(failed.get(k) or found.get(k) or not_found(kind, source))
        return out

    return info.context.loaders.loader(source, kind, batch)


def run_loader(info: Info, source: str) -> DataLoader[str, Record]:
    """Runs by RunUuid: chunks of `limits.tencent_describe_chunk` per DescribeRuns."""
    p = info.context.upstream.provider_as(source, TencentOmicsProvider)
    chunk = info.context.upstream.settings.limits.tencent_describe_chunk
    return _by_ids(info, source, "DescribeRuns:RunUuid", "RunUuid", chunk, p.describe_runs)


def group_loader(info: Info, source: str) -> DataLoader[str, Record]:
    """Run groups by RunGroupId: up to 100 per DescribeRunGroups."""
    p = info.context.upstream.provider_as(source, TencentOmicsProvider)
    return _by_ids(
        info,
        source,
        "DescribeRunGroups:RunGroupId",
        "RunGroupId",
        GROUP_CHUNK,
        p.describe_run_groups,
    )


async def load_status(info: Info, source: str, run_uuid: str) -> Record:
    """GetRunStatus (no batch form upstream): only for fields DescribeRuns lacks."""
    p = info.context.upstream.provider_as(source, TencentOmicsProvider)
    record: Record = await info.context.loaders.each(source, "GetRunStatus", p.get_run_status).load(
        run_uuid
    )
    return record


def prime_runs(info: Info, source: str, records: list[Record]) -> None:
    """Listed runs answer later loads of the same runs in this request."""
    loader = run_loader(info, source)
    for record in records:
        loader.prime(str(record["RunUuid"]), record)
