"""Tencent log fields as resolvers: a call's stdout/stderr, a run's engine log, error excerpts.

calls.py and graph.py attach each with one line; `root` is the object. The upstream fields
`stdout`/`stderr` already name the files' paths, so the logs are `stdoutLog`/`stderrLog`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from gateway.clouds.tencent.logs import TencentRunLogs
from gateway.clouds.tencent.provider import TencentOmicsProvider, parent_path
from gateway.errors import ErrorCode, GatewayError
from gateway.graph.context import Info
from gateway.graph.logs import LogLineConnection, excerpt, log_connection, require_logs
from gateway.graph.relay import PageArgs, relay
from gateway.types import Listing

#: Task calls with a job write logs; these statuses are final (the log no longer grows).
_FINAL = {"SUCCESS", "FAILED", "CANCELED"}


def _logs(info: Info, source: str) -> TencentRunLogs:
    provider = info.context.upstream.provider_as(source, TencentOmicsProvider)
    return provider.logs(info.context.upstream.settings.logs)


def _job_listing(info: Info, root: Any, log_type: str) -> Listing:
    logs = _logs(info, root.source)
    return logs.job_log(str(root.run_uuid), parent_path(root.path), root.job_id or "", log_type)


def _log_field(
    listing_of: Callable[[Info, Any], Listing],
) -> Callable[..., Awaitable[LogLineConnection | None]]:
    """A log connection field over the listing `listing_of` names for the object."""

    @relay
    async def resolve(root: Any, info: Info, *, page: PageArgs) -> LogLineConnection | None:
        require_logs(info)
        listing = listing_of(info, root)
        settled = root.status in _FINAL
        conn = await info.context.loaders.connection(
            _logs(info, root.source), listing, settled=settled, **page
        )
        return log_connection(conn)

    return resolve


#: The call's standard output and error (GetRunJobLog, paged by the gateway).
stdout_log = _log_field(lambda info, root: _job_listing(info, root, "stdout"))
stderr_log = _log_field(lambda info, root: _job_listing(info, root, "stderr"))
#: The engine's `nextflow.log` (GetRunMetadataFile's signed URL, fetched by the gateway, never
#: handed out); Nextflow runs only.
engine_log = _log_field(lambda info, root: _logs(info, root.source).engine_log(str(root.run_uuid)))


async def error_excerpt(root: Any, info: Info) -> list[str] | None:
    """A failed task call's last error lines of its stderr (one GetRunJobLog)."""
    if root.status != "FAILED" or not root.job_id:
        return None
    require_logs(info)
    logs = _logs(info, root.source)
    listing = _job_listing(info, root, "stderr")
    try:
        page = await info.context.loaders.page(logs, listing, None, 100, settled=True)
    except GatewayError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return None
        raise
    lines = [str(item["message"]) for item in page.items]
    return excerpt(lines) if lines else None
