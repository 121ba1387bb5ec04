"""Tencent log fields as resolvers: a call's stdout/stderr, a run's engine log, error excerpts.

calls.py and graph.py attach each with one line; `root` is the object. The upstream fields
`stdout`/`stderr` already name the files' paths, so the logs are `stdoutLog`/`stderrLog`.
"""

from __future__ import annotations

from typing import Any

from gateway.clouds.tencent.provider import TencentOmicsProvider, parent_path
from gateway.errors import ErrorCode, GatewayError
from gateway.graph.context import Info
from gateway.graph.logs import LogLineConnection, excerpt, log_connection, require_logs
from gateway.graph.relay import PageArgs
from gateway.types import Listing

#: Task calls with a job write logs; these statuses are final (the log no longer grows).
_FINAL = {"SUCCESS", "FAILED", "CANCELED"}


async def _lines(
    info: Info, source: str, listing: Listing, page: PageArgs, settled: bool
) -> LogLineConnection:
    logs = info.context.upstream.provider_as(source, TencentOmicsProvider).logs(
        info.context.upstream.settings.logs
    )
    conn = await info.context.loaders.connection(logs, listing, settled=settled, **page)
    return log_connection(conn)


def _job_listing(info: Info, root: Any, log_type: str) -> Listing:
    logs = info.context.upstream.provider_as(root.source, TencentOmicsProvider).logs(
        info.context.upstream.settings.logs
    )
    return logs.job_log(str(root.run_uuid), parent_path(root.path), root.job_id or "", log_type)


async def stdout_log(
    root: Any,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> LogLineConnection | None:
    """The call's standard output (GetRunJobLog, paged by the gateway)."""
    require_logs(info)
    listing = _job_listing(info, root, "stdout")
    page = PageArgs(first=first, after=after, last=last, before=before)
    return await _lines(info, root.source, listing, page, root.status in _FINAL)


async def stderr_log(
    root: Any,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> LogLineConnection | None:
    """The call's standard error (GetRunJobLog, paged by the gateway)."""
    require_logs(info)
    listing = _job_listing(info, root, "stderr")
    page = PageArgs(first=first, after=after, last=last, before=before)
    return await _lines(info, root.source, listing, page, root.status in _FINAL)


async def engine_log(
    root: Any,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> LogLineConnection | None:
    """The engine's `nextflow.log` (GetRunMetadataFile's signed URL, fetched by the gateway,
    never handed out); Nextflow runs only."""
    require_logs(info)
    logs = info.context.upstream.provider_as(root.source, TencentOmicsProvider).logs(
        info.context.upstream.settings.logs
    )
    listing = logs.engine_log(str(root.run_uuid))
    page = PageArgs(first=first, after=after, last=last, before=before)
    return await _lines(info, root.source, listing, page, root.status in _FINAL)


async def error_excerpt(root: Any, info: Info) -> list[str] | None:
    """A failed task call's last error lines of its stderr (one GetRunJobLog)."""
    if root.status != "FAILED" or not root.job_id:
        return None
    require_logs(info)
    logs = info.context.upstream.provider_as(root.source, TencentOmicsProvider).logs(
        info.context.upstream.settings.logs
    )
    listing = _job_listing(info, root, "stderr")
    try:
        page = await info.context.loaders.page(logs, listing, None, 100, settled=True)
    except GatewayError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return None
        raise
    lines = [str(item["message"]) for item in page.items]
    return excerpt(lines) if lines else None
