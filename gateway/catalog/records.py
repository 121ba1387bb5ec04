"""Upstream records → catalogue rows: normalised columns plus an allow-listed copy of the record.

Only the fields named here are ever stored. Run parameters, role ARNs, session policies and
Tencent's Input/Option are kept out unless `[catalog] store_parameters = true`: they may hold
secrets or personal data, and nothing the catalogue answers needs them. Datetimes survive the
JSON round trip tagged (`{"$dt": iso}`), so a catalogued record reads back exactly as parsed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from gateway.catalog.tables import MISSING
from gateway.clouds.datazone.states import STATES as DZ_STATES
from gateway.clouds.healthomics.states import STATES as HO_STATES
from gateway.clouds.tencent.states import STATES as TC_STATES
from gateway.config import SourceConfig
from gateway.states import RunState, StateTables
from gateway.types import ProviderKind, Record

HO, TC, DZ = HO_STATES.kind, TC_STATES.kind, DZ_STATES.kind
#: The clouds the catalogue knows how to normalise, by their config names.
KINDS = {k.value: k for k in (HO, TC, DZ)}
#: Each cloud's state tables, by kind.
STATES: dict[ProviderKind, StateTables] = {t.kind: t for t in (HO_STATES, TC_STATES, DZ_STATES)}


def kind_of(source: SourceConfig) -> ProviderKind:
    """The kind of a configured source (the registry has validated its provider name)."""
    return KINDS[source.provider]


_HO_RUN = frozenset(
    [
        "arn",
        "id",
        "cacheId",
        "cacheBehavior",
        "engineVersion",
        "status",
        "workflowId",
        "workflowType",
        "runId",
        "name",
        "runGroupId",
        "batchId",
        "priority",
        "digest",
        "storageCapacity",
        "outputUri",
        "logLevel",
        "resourceDigests",
        "startedBy",
        "creationTime",
        "startTime",
        "stopTime",
        "statusMessage",
        "tags",
        "accelerators",
        "retentionMode",
        "failureReason",
        "logLocation",
        "uuid",
        "runOutputUri",
        "storageType",
        "workflowOwnerId",
        "workflowVersionName",
        "workflowUuid",
        "workflowName",
        "networkingMode",
        "scratchStorageMode",
        "configuration",
        "engineSettings",
        "definition",
    ]
)
_TC_RUN = frozenset(
    [
        "RunUuid",
        "ProjectId",
        "ApplicationId",
        "RunGroupId",
        "EnvironmentId",
        "UserDefinedId",
        "TableId",
        "TableRowUuid",
        "Status",
        "ExecutionTime",
        "Cache",
        "ErrorMessage",
        "CreateTime",
        "UpdateTime",
    ]
)
_DZ_RUN = frozenset(
    [
        "domainId",
        "id",
        "runId",
        "jobId",
        "jobType",
        "runMode",
        "status",
        "error",
        "createdBy",
        "createdAt",
        "startTime",
        "endTime",
    ]
)
#: What `store_parameters = true` adds; never stored otherwise.
SENSITIVE: dict[ProviderKind, frozenset[str]] = {
    HO: frozenset({"parameters", "roleArn", "sessionPolicy", "vpcConfig"}),
    TC: frozenset({"Input", "Option"}),
    DZ: frozenset({"details"}),
}
_ALLOWED = {HO: _HO_RUN, TC: _TC_RUN, DZ: _DZ_RUN}
_HO_TASK = frozenset(
    [
        "taskId",
        "status",
        "name",
        "cpus",
        "cacheHit",
        "cacheS3Uri",
        "memory",
        "creationTime",
        "startTime",
        "stopTime",
        "gpus",
        "instanceType",
        "uuid",
    ]
)
_TC_CALL = frozenset(
    [
        "Output",
        "Command",
        "Runtime",
        "Stdout",
        "Stderr",
        "RunType",
        "RunId",
        "ParentId",
        "JobId",
        "CallName",
        "ScatterIndex",
        "Status",
        "ErrorMessage",
        "StartTime",
        "SubmitTime",
        "EndTime",
        "Preprocess",
        "PostProcess",
        "CallCached",
        "WorkDir",
        "Meta",
    ]
)


def source_identity(source: SourceConfig) -> str:
    """What a source *is* upstream, independent of its name: provider, region, scope, account.

    The account is the configured `account`, else the role assumed, profile or endpoint that
    reaches it: two names for the same upstream share rows, a reused name for another does not.
    """
    scope = source.project_id or source.domain_id or ""
    account = source.account or source.role_arn or source.profile or source.endpoint_url or ""
    return f"{source.provider}|{source.region}|{scope}|{account}"


def source_key(source: SourceConfig) -> str:
    return hashlib.blake2b(source_identity(source).encode(), digest_size=16).hexdigest()


# -- JSON with datetimes --------------------------------------------------------------------


def _tag(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, Mapping):
        return {k: _tag(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tag(v) for v in value]
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        return {k: _untag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untag(v) for v in value]
    return value


def dumps(record: Mapping[str, Any]) -> str:
    return orjson.dumps(_tag(record)).decode()


def loads(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = _untag(orjson.loads(text))
    return loaded


# -- normalisation ----------------------------------------------------------------------------


def to_ms(value: Any) -> int | None:
    """Epoch ms of a datetime or an ISO / Tencent time string; None when absent or unparsable."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def from_ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


@dataclass(frozen=True)
class RunRow:
    """One run's catalogue columns (without the surrogate id and sync bookkeeping)."""

    native_id: str
    provider: ProviderKind
    name: str | None
    status: str | None
    state: RunState
    settled: bool
    workflow: str | None
    batch_id: str | None
    created_ms: int | None
    started_ms: int | None
    stopped_ms: int | None
    tags: dict[str, str]
    record: dict[str, Any]

    def columns(self, fallback_created_ms: int) -> dict[str, Any]:
        created = self.created_ms if self.created_ms is not None else fallback_created_ms
        started, stopped = self.started_ms, self.stopped_ms
        duration = stopped - started if started is not None and stopped is not None else None
        return {
            "provider": self.provider.value,
            "native_id": self.native_id,
            "name": self.name,
            "status": self.status,
            "state": self.state.value,
            "settled": self.settled,
            "workflow": self.workflow,
            "batch_id": self.batch_id,
            "created_ms": created,
            "started_ms": started,
            "stopped_ms": stopped,
            "started_key": MISSING if started is None else started,
            "stopped_key": MISSING if stopped is None else stopped,
            "duration_key": MISSING if duration is None else duration,
            "name_key": (self.name or "")[:256],
            "record": dumps(self.record),
        }


def allowed(provider: ProviderKind, store_parameters: bool) -> frozenset[str]:
    keys = _ALLOWED[provider]
    return keys | SENSITIVE[provider] if store_parameters else keys


def run_row(provider: ProviderKind, record: Record, store_parameters: bool = False) -> RunRow:
    """The catalogue row of one upstream run record (a list item or a detail read)."""
    keep = allowed(provider, store_parameters)
    kept = {k: v for k, v in record.items() if k in keep and v is not None}
    status = record.get("status") if provider is not TC else record.get("Status")
    state = STATES[provider].run_state(status) or RunState.UNKNOWN
    settled = STATES[provider].run_settled(status)
    tags: dict[str, str] = {}
    if provider is HO:
        native = str(record["id"])
        name, workflow = record.get("name"), record.get("workflowId")
        batch = record.get("batchId")
        created, started, stopped = (
            record.get("creationTime"),
            record.get("startTime"),
            record.get("stopTime"),
        )
        raw_tags = record.get("tags") or {}
        tags = {str(k): str(v) for k, v in raw_tags.items()} if isinstance(raw_tags, dict) else {}
    elif provider is TC:
        native = str(record["RunUuid"])
        name, workflow = record.get("UserDefinedId") or None, record.get("ApplicationId")
        batch = record.get("RunGroupId") or None
        times = record.get("ExecutionTime") or {}
        created, started, stopped = (
            record.get("CreateTime"),
            times.get("StartTime"),
            times.get("EndTime"),
        )
    else:
        native = str(record.get("runId") or record["id"])
        kept["runId"] = native
        kept.pop("id", None)
        name, workflow, batch = None, record.get("jobId"), None
        created, started, stopped = (
            record.get("createdAt"),
            record.get("startTime"),
            record.get("endTime"),
        )
    return RunRow(
        native_id=native,
        provider=provider,
        name=None if name is None else str(name),
        status=None if status is None else str(status),
        state=state,
        settled=settled,
        workflow=None if workflow is None else str(workflow),
        batch_id=None if batch is None else str(batch),
        created_ms=to_ms(created),
        started_ms=to_ms(started),
        stopped_ms=to_ms(stopped),
        tags=tags,
        record=kept,
    )


def task_record(
    provider: ProviderKind, record: Record, store_parameters: bool = False
) -> tuple[str, str | None, dict[str, Any]]:
    """(native id, status, allow-listed record) of one task (HealthOmics) or call (Tencent)."""
    if provider is HO:
        kept = {k: v for k, v in record.items() if k in _HO_TASK and v is not None}
        return str(record["taskId"]), record.get("status"), kept
    keep = _TC_CALL | {"Input"} if store_parameters else _TC_CALL
    kept = {k: v for k, v in record.items() if k in keep and v is not None}
    index = record.get("ScatterIndex") or ""
    segment = f"{record['CallName']}:{index}" if index != "" else str(record["CallName"])
    return segment, record.get("Status"), kept
