"""Upstream results as bytes, for caches that leave the process (Redis).

Records are botocore's parsed dicts (datetimes included) and pages are `Page`s of them. orjson
writes them fast; datetimes and pages travel tagged so they come back as the same Python values
(a run named like a timestamp stays a string). JSON, not pickle: whoever can write to a shared
Redis must not be able to run code in the gateway.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from gateway.types import Page

_DT = "\x00dt:"  # upstream strings never start with NUL
_PAGE = "\x00page"
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _DT + value.isoformat()
    if isinstance(value, Page):
        return {_PAGE: [list(value.items), value.next_ref, value.total]}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def encode(value: object) -> bytes:
    """`value` (a record, a page, or plain JSON data) as compact bytes."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def _restore(value: Any) -> Any:
    if isinstance(value, str):
        return datetime.fromisoformat(value[len(_DT) :]) if value.startswith(_DT) else value
    if isinstance(value, dict):
        if _PAGE in value:
            items, next_ref, total = value[_PAGE]
            return Page([_restore(i) for i in items], next_ref, total)
        return {k: _restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v) for v in value]
    return value


def decode(data: bytes) -> Any:
    """The value `encode` was given."""
    return _restore(orjson.loads(data))


def size_of(value: object) -> int:
    """Roughly what `value` weighs, for the in-process cache's byte bound (orjson, no tags)."""
    try:
        return len(orjson.dumps(value))
    except TypeError:
        return len(encode(value))
