"""Upstream records → Strawberry objects, field by field under the upstream's own names.

Concrete types name their fields after the upstream's (camelCase in GraphQL, snake_case here);
`build` fills them straight from a record, and `upstream_field` makes a field that reads a
second, richer record (GetRun, GetBatch…) only when a query selects it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar, cast

import strawberry
from strawberry.utils.str_converters import to_camel_case

T = TypeVar("T")


@cache
def _plan(cls: Any) -> tuple[tuple[str, str, Any], ...]:
    """(python name, upstream key, nested type or None) for every plain field of `cls`."""
    plan = []
    nested: dict[str, Any] = getattr(cls, "__nested__", {})
    renamed: dict[str, str] = getattr(cls, "__renamed__", {})
    for f in dataclasses.fields(cls):
        if f.name.startswith("_") or not f.init:
            continue
        key = renamed.get(f.name, to_camel_case(f.name))
        plan.append((f.name, key, nested.get(f.name)))
    return tuple(plan)


def build(cls: type[T], record: Mapping[str, Any] | None, **extra: Any) -> T:
    """An instance of `cls` from `record`; fields named in `extra` are set from it instead."""
    record = record or {}
    kwargs: dict[str, Any] = {}
    plan: tuple[tuple[str, str, Any], ...] = _plan(cast(Any, cls))
    for name, key, nested in plan:
        if name in extra:
            continue
        value = record.get(key)
        if nested is not None and value is not None:
            value = build(nested, value)
        kwargs[name] = value
    kwargs.update(extra)
    return cls(**kwargs)


def upstream_field(
    key: str,
    gql_type: Any,
    *,
    convert: Callable[[Any], Any] | None = None,
    description: str | None = None,
) -> Any:
    """A field read from the type's detail record, fetched (batched) only when selected."""

    async def resolve(root: Any, info: strawberry.Info) -> Any:
        record = await root.detail(info)
        value = record.get(key)
        if value is not None and convert is not None:
            return convert(value)
        return value

    resolve.__annotations__ = {"root": Any, "info": strawberry.Info, "return": gql_type | None}
    # The cost estimate counts one detail fetch per object that selects any such field.
    return strawberry.field(
        resolver=resolve, description=description, metadata={"gateway_detail": True}
    )


def nested(cls: type[T]) -> Callable[[Any], T]:
    """A converter building a nested upstream structure into its Strawberry type."""
    return lambda value: build(cls, value)
