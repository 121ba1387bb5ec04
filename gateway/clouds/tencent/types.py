"""Tencent records as the schema reads them: camelCase keys, parsed times and JSON, nested types.

Tencent sends PascalCase keys, times as strings ("" before the instant has come) and JSON inside
strings. `camel` turns a whole record into the schema's reading once, so every field — top-level
or nested — is filled by name, the same way the HealthOmics types are.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import strawberry
from strawberry.utils.str_converters import to_camel_case

T = TypeVar("T")

#: Upstream strings that hold JSON text (RunMetadata, Run and RunGroup use the same names).
JSON_KEYS = frozenset({"Input", "Output", "ErrorMessage", "Runtime", "Meta"})


def camel_key(key: str) -> str:
    """`RunUuid` → `runUuid`, `NFOption` → `nfOption`, `TotalRun` → `totalRun`."""
    n = 0
    while n < len(key) and key[n].isupper():
        n += 1
    if n == len(key):
        return key.lower()
    if n <= 1:
        return key[:1].lower() + key[1:]
    return key[: n - 1].lower() + key[n - 1 :]


def parse_json(text: str) -> Any:
    """JSON text → its value; text that is not JSON stays the string it was."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_time(text: str) -> datetime | None:
    """Tencent's "2022-10-31T14:11:23+08:00"; "" (not yet) or unparsable → None."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def camel(record: Mapping[str, Any]) -> dict[str, Any]:
    """A whole upstream record in the schema's reading (recursively)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, Mapping):
            value = camel(value)
        elif isinstance(value, list):
            value = [camel(v) if isinstance(v, Mapping) else v for v in value]
        elif isinstance(value, str) and key in JSON_KEYS:
            value = parse_json(value)
        elif isinstance(value, str) and key.endswith("Time"):
            value = parse_time(value)
        out[camel_key(key)] = value
    return out


def struct(cls: type[T], data: Any) -> Any:
    """A nested upstream structure (or a list of them) as `cls`; `__nested__` names sub-types."""
    if data is None:
        return None
    if isinstance(data, list):
        return [struct(cls, item) for item in data]
    spec: dict[str, Any] = getattr(cls, "__nested__", {})
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name.startswith("_") or not f.init:
            continue
        value = data.get(to_camel_case(f.name))
        sub = spec.get(f.name)
        kwargs[f.name] = struct(sub, value) if sub is not None else value
    return cls(**kwargs)


@strawberry.type(description="Tencent RunOption: how the engine runs a run.")
class TencentRunOption:
    failure_mode: str | None
    use_call_cache: bool | None
    use_error_on_hold: bool | None
    final_workflow_outputs_dir: str | None
    use_relative_output_paths: bool | None
    add_run_info_to_output_dir: bool | None


@strawberry.type(description="Tencent ExecutionTime: submitted, started and ended.")
class TencentExecutionTime:
    submit_time: datetime | None
    start_time: datetime | None
    end_time: datetime | None


@strawberry.type(description="Tencent CacheInfo: when a run's cache is cleared.")
class TencentCacheInfo:
    cache_clear_delay: int | None
    cache_clear_time: datetime | None
    cache_cleared: bool | None


@strawberry.type(description="Tencent RunStatusCount: runs of a group in one status.")
class TencentRunStatusCount:
    status: str | None
    count: int | None


@strawberry.type(description="Tencent NFOption: Nextflow settings of a run group.")
class TencentNFOption:
    config: str | None
    profile: str | None
    report: bool | None
    resume: bool | None
    nf_version: str | None
    launch_dir: str | None


@strawberry.type(description="Tencent VolumeInfo: a cache volume mounted into runs.")
class TencentVolumeInfo:
    volume_id: str | None
    name: str | None
    mount_path: str | None


@strawberry.type(
    description="Tencent GitInfo: where an application version's code lives. "
    "GitTokenOrPassword is a secret and is never exposed."
)
class TencentGitInfo:
    git_http_path: str | None
    git_user_name: str | None
    branch: str | None
    tag: str | None


@strawberry.type(description="Tencent CosFileInfo: an object in Cloud Object Storage.")
class TencentCosFileInfo:
    bucket: str | None
    uri: str | None
    region: str | None


@strawberry.type(description="Tencent ApplicationVersion: the workflow version a group runs.")
class TencentApplicationVersion:
    __nested__: ClassVar[dict[str, Any]] = {
        "git_source": TencentGitInfo,
        "cos_source": TencentCosFileInfo,
    }

    type: str | None
    application_version_id: str | None
    name: str | None
    description: str | None
    entrypoint: str | None
    create_time: datetime | None
    creator_name: str | None
    creator_id: str | None
    git_info: str | None
    git_source: TencentGitInfo | None
    cos_source: TencentCosFileInfo | None


@strawberry.type(description="Tencent NotificationType: how a notification is delivered.")
class TencentNotificationType:
    station_message: bool | None
    email: list[str] | None
    current_user_email: bool | None


@strawberry.type(description="Tencent RunGroupResultNotification.")
class TencentRunGroupResultNotification:
    __nested__: ClassVar[dict[str, Any]] = {"notification_type": TencentNotificationType}

    notification_type: TencentNotificationType | None


@strawberry.type(description="Tencent RunGroupTimeoutNotification.")
class TencentRunGroupTimeoutNotification:
    __nested__: ClassVar[dict[str, Any]] = {"notification_type": TencentNotificationType}

    timeout_minutes: int | None
    notification_type: TencentNotificationType | None


@strawberry.type(description="Tencent RunGroupNotification: result and timeout notices.")
class TencentRunGroupNotification:
    __nested__: ClassVar[dict[str, Any]] = {
        "result_notification": TencentRunGroupResultNotification,
        "timeout_notification": TencentRunGroupTimeoutNotification,
    }

    result_notification: TencentRunGroupResultNotification | None
    timeout_notification: TencentRunGroupTimeoutNotification | None
