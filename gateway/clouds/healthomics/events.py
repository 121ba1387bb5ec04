"""HealthOmics' EventBridge envelopes ("Run Status Change", "Task Status Change"), parsed into
cloud-neutral hints for the push consumer (gateway/live/sqs.py) through `Cloud.events`.

An SQS target with no input transform receives the whole envelope as the message body. Run
events carry the run id in `detail.runId`; task events name their run the same way (with
`runArn` beside it). Anything else, or anything missing a routing field, is not a hint.
"""

from __future__ import annotations

from typing import Any

import orjson

from gateway.clouds.healthomics.states import KIND
from gateway.live.events import CloudEvents, StatusHint

RUN_STATUS_CHANGE = "Run Status Change"
TASK_STATUS_CHANGE = "Task Status Change"
SOURCE = "aws.omics"


def parse_envelope(body: str | bytes) -> StatusHint | None:
    """The hint in an SQS message body (a whole EventBridge envelope); None when it is not one."""
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


#: The hub keys are the GraphQL type names; the cached records are GetRun's and GetBatch's.
EVENTS = CloudEvents(
    kind=KIND,
    parse=parse_envelope,
    run_type="HealthOmicsRun",
    batch_type="HealthOmicsBatch",
    run_read="GetRun",
    batch_read="GetBatch",
    batch_field="batchId",
)
