"""Readers for streamed answers: multipart/mixed parts, SSE events, and merging patches.

Independent of the gateway's code, so the tests check the wire, not our own encoder.
"""

from __future__ import annotations

import json
from typing import Any


def multipart_parts(body: str, boundary: str = "-") -> list[dict[str, Any]]:
    """The JSON bodies of a multipart/mixed answer, in order."""
    parts = []
    for chunk in body.split(f"\r\n--{boundary}"):
        head, sep, payload = chunk.partition("\r\n\r\n")
        if sep and "application/json" in head:
            parts.append(json.loads(payload))
    return parts


def sse_events(body: str) -> list[tuple[str, str]]:
    """(event, data) pairs of an event stream; comment lines come as ("", comment)."""
    events = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        event, data = "message", []
        lines = [line for line in block.split("\n") if line]
        if not lines:
            continue
        for line in lines:
            if line.startswith(":"):
                events.append(("", line[1:].strip()))
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data or event != "message":
            events.append((event, "\n".join(data)))
    return events


def _at(tree: Any, path: list[Any]) -> Any:
    for step in path:
        tree = tree[step]
    return tree


def _deep_update(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_update(into[key], value)
        else:
            into[key] = value


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """graphql-js 17 frames (pending/incremental/completed) folded into one answer."""
    first = parts[0]
    data = first["data"]
    errors = list(first.get("errors") or [])
    paths = {p["id"]: p["path"] for p in first.get("pending", [])}
    for part in parts[1:]:
        paths.update({p["id"]: p["path"] for p in part.get("pending", [])})
        for inc in part.get("incremental", []):
            path = paths[inc["id"]] + inc.get("subPath", [])
            if "items" in inc:
                _at(data, path).extend(inc["items"])
            else:
                _deep_update(_at(data, path), inc["data"])
            errors.extend(inc.get("errors") or [])
        for done in part.get("completed", []):
            errors.extend(done.get("errors") or [])
    assert parts[-1]["hasNext"] is False
    return {"data": data, "errors": errors}
