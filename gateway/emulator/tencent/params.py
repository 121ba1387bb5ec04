"""Request-parameter validation for the Tencent emulator, with the API's error codes.

Absent required parameters are MissingParameter, a parameter of the wrong type or shape is
InvalidParameter, a well-typed value out of range is InvalidParameterValue, and a parameter the
action does not define is UnknownParameter; each message names the parameter (`Filters.0.Name`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gateway.emulator.tencent.auth import TencentError

#: Parameters each action accepts; the required ones are checked by the handlers.
ACTION_PARAMS: dict[str, frozenset[str]] = {
    "GetRunStatus": frozenset({"RunUuid", "ProjectId"}),
    "GetRunCalls": frozenset({"RunUuid", "Path", "ProjectId"}),
    "DescribeRuns": frozenset({"ProjectId", "Limit", "Offset", "Filters"}),
    "DescribeRunGroups": frozenset({"ProjectId", "Limit", "Offset", "Filters"}),
    "GetRunJobLog": frozenset({"RunUuid", "JobId", "LogType", "ProjectId", "Path"}),
    "GetRunMetadataFile": frozenset({"RunUuid", "ProjectId", "Key", "Keys"}),
}
#: Filter names the SDK documents for each listing.
FILTER_NAMES: dict[str, frozenset[str]] = {
    "DescribeRuns": frozenset(
        {"RunGroupId", "Status", "RunUuid", "ApplicationId", "UserDefinedId"}
    ),
    "DescribeRunGroups": frozenset({"Name", "RunGroupId", "Status", "ApplicationId", "Type"}),
}
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


@dataclass(frozen=True)
class Listing:
    """A validated DescribeRuns / DescribeRunGroups request."""

    project_id: str | None
    limit: int
    offset: int
    filters: tuple[tuple[str, tuple[str, ...]], ...]

    def filter_key(self) -> str:
        """A canonical text of the filters, so equal requests key the same empty-page memory."""
        return json.dumps(sorted([n, sorted(v)] for n, v in self.filters))


def parse_body(action: str, body: bytes) -> dict[str, Any]:
    """The JSON object body; UnknownParameter for names the action does not define."""
    try:
        params = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise TencentError("InvalidParameter", "the request body is not valid JSON") from None
    if not isinstance(params, dict):
        raise TencentError("InvalidParameter", "the request body must be a JSON object")
    unknown = sorted(set(params) - ACTION_PARAMS[action])
    if unknown:
        raise TencentError("UnknownParameter", f"the parameter `{unknown[0]}` is not recognized")
    return params


def string(params: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise TencentError("MissingParameter", f"the parameter `{name}` is required")
        return None
    if not isinstance(value, str):
        raise TencentError("InvalidParameter", f"the parameter `{name}` must be a string")
    if required and not value:
        raise TencentError("InvalidParameterValue", f"the parameter `{name}` must not be empty")
    return value


def integer(params: dict[str, Any], name: str, default: int, lo: int, hi: int | None) -> int:
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise TencentError("InvalidParameter", f"the parameter `{name}` must be an integer")
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise TencentError(
            "InvalidParameterValue", f"the value {value} of `{name}` is invalid: must be {bound}"
        )
    return value


def listing(action: str, params: dict[str, Any]) -> Listing:
    """Validate ProjectId, Limit (1..100, default 10), Offset (≥ 0) and Filters."""
    project_id = string(params, "ProjectId")
    limit = integer(params, "Limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = integer(params, "Offset", 0, 0, None)
    raw = params.get("Filters")
    filters: list[tuple[str, tuple[str, ...]]] = []
    if raw is not None:
        if not isinstance(raw, list):
            raise TencentError("InvalidParameter", "the parameter `Filters` must be an array")
        for i, item in enumerate(raw):
            filters.append(_filter(action, i, item))
    return Listing(project_id, limit, offset, tuple(filters))


def _filter(action: str, i: int, item: Any) -> tuple[str, tuple[str, ...]]:
    where = f"Filters.{i}"
    if not isinstance(item, dict):
        raise TencentError("InvalidParameter", f"the parameter `{where}` must be an object")
    extra = sorted(set(item) - {"Name", "Values"})
    if extra:
        raise TencentError(
            "UnknownParameter", f"the parameter `{where}.{extra[0]}` is not recognized"
        )
    name = item.get("Name")
    if name is None:
        raise TencentError("MissingParameter", f"the parameter `{where}.Name` is required")
    if not isinstance(name, str):
        raise TencentError("InvalidParameter", f"the parameter `{where}.Name` must be a string")
    if name not in FILTER_NAMES[action]:
        allowed = ", ".join(sorted(FILTER_NAMES[action]))
        raise TencentError(
            "InvalidParameterValue",
            f"the value {name!r} of `{where}.Name` is not supported; use one of: {allowed}",
        )
    values = item.get("Values")
    if values is None:
        raise TencentError("MissingParameter", f"the parameter `{where}.Values` is required")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TencentError(
            "InvalidParameter", f"the parameter `{where}.Values` must be an array of strings"
        )
    if not values:
        raise TencentError("InvalidParameterValue", f"the parameter `{where}.Values` is empty")
    return name, tuple(values)
