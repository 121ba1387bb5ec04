"""Push hints from EventBridge: HealthOmics "Run/Task Status Change" envelopes, parsed.

An event is a hint, never data: it names a run that may have changed, and the gateway reads
that run fresh (as a poll would) before telling anyone anything. So parsing keeps only what
routes the hint (account, region, run id) and refuses anything that does not look like
HealthOmics' envelope. The catalogue implements `RunRefresher` to refresh a run on a hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import orjson

RUN_STATUS_CHANGE = "Run Status Change"
TASK_STATUS_CHANGE = "Task Status Change"
SOURCE = "aws.omics"


def watch_key(type_name: str, source: str, native: str) -> tuple[str, str, str]:
    """The hub's key of a watched object: its GraphQL type, source name and native id."""
    return (type_name, source, native)


@dataclass(frozen=True)
class StatusHint:
    """What one envelope says: run `run_id` in `account`/`region` may now be `status`."""

    account: str
    region: str
    run_id: str
    status: str
    detail_type: str
    time: str | None = None


class RunRefresher(Protocol):
    """The catalogue's refresh entry point: read this run now (the lead wires it at merge)."""

    async def refresh_run(self, source: str, run_id: str, status: str | None) -> None: ...


def parse_envelope(body: str | bytes) -> StatusHint | None:
    """The hint in an SQS message body (a whole EventBridge envelope); None when it is not one.

    Run events carry the run id in `detail.runId`; task events name their run the same way
    (`detail.runId`, with `runArn` beside it).
    """
    try:
        doc: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or doc.get("source") != SOURCE:
        return None
    kind = doc.get("detail-type")
    detail = doc.get("detail")
    if kind not in (RUN_STATUS_CHANGE, TASK_STATUS_CHANGE) or not isinstance(detail, dict):
        return None
    account, region = doc.get("account"), doc.get("region")
    run_id, status = detail.get("runId"), detail.get("status")
    if not all(isinstance(v, str) and v for v in (account, region, run_id, status)):
        return None
    when = doc.get("time")
    return StatusHint(
        account=str(account),
        region=str(region),
        run_id=str(run_id),
        status=str(status),
        detail_type=str(kind),
        time=when if isinstance(when, str) else None,
    )
