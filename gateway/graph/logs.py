"""Log lines in the schema: the `LogLine` node, its Relay connection, and the `logs` grant.

Logs can hold secrets and say more than run metadata, so reading them is a grant of its own:
a client reads logs only when its principal carries the `logs` scope (API key `scopes`, or the
JWT's scopes claim), and then only of the sources it may read anyway.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import strawberry

from gateway.errors import ErrorCode, GatewayError
from gateway.graph.context import Info
from gateway.graph.interfaces import PageInfo, _Edge, page_info
from gateway.upstream.connection import Connection

LOGS_SCOPE = "logs"
#: Lines that carry an error, for `errorExcerpt`; the last few of a log when none does.
ERROR_LINE = re.compile(
    r"\b(ERROR|FATAL|SEVERE|Exception|Error|Traceback|Killed|Segmentation fault|"
    r"exit(?:ed with)? (?:status|code) [1-9]\d*|Cannot allocate|[Oo]ut of memory)"
)
EXCERPT_LINES = 20


def excerpt(lines: list[str]) -> list[str]:
    """The last error-carrying lines, else the last lines: what a failure list shows."""
    errors = [line for line in lines if ERROR_LINE.search(line)]
    return (errors or lines)[-EXCERPT_LINES:]


@strawberry.type(description="One line of a log, as the upstream stored it.")
class LogLine:
    timestamp: datetime | None = strawberry.field(description="When the line was written.")
    message: str = strawberry.field(description="The line's text.")


@strawberry.type
class LogLineEdge(_Edge):
    node: LogLine


@strawberry.type(
    description="Lines of a log, oldest first; cursors wrap the upstream's own tokens."
)
class LogLineConnection:
    edges: list[LogLineEdge]
    page_info: PageInfo
    total_count: int | None


def require_logs(info: Info) -> None:
    """FORBIDDEN unless this client holds the `logs` scope (no upstream call is made)."""
    if not info.context.principal.may(LOGS_SCOPE):
        raise GatewayError(
            "this client may not read logs: its credential needs the `logs` scope",
            ErrorCode.FORBIDDEN,
        )


def line_of(event: Any) -> LogLine:
    """A CloudWatch-style event ({timestamp: epoch ms, message}) as a `LogLine`."""
    stamp = event.get("timestamp")
    when = datetime.fromtimestamp(stamp / 1000, UTC) if isinstance(stamp, int | float) else None
    return LogLine(timestamp=when, message=str(event.get("message", "")))


def log_connection(conn: Connection) -> LogLineConnection:
    edges = [LogLineEdge(node=line_of(s.item), _slot=s, _conn=conn) for s in conn.slots]
    return LogLineConnection(edges=edges, page_info=page_info(conn), total_count=None)
