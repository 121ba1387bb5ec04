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

from gateway.graph.ids import global_id

T = TypeVar("T")


@cache
def _plan(cls: Any) -> dict[str, tuple[str, Any]]:
    """Upstream key → (python name, nested type or None) for every plain field of `cls`."""
    plan: dict[str, tuple[str, Any]] = {}
    nested: dict[str, Any] = getattr(cls, "__nested__", {})
    renamed: dict[str, str] = getattr(cls, "__renamed__", {})
    for f in dataclasses.fields(cls):
        if f.name.startswith("_") or not f.init:
            continue
        plan[renamed.get(f.name, to_camel_case(f.name))] = (f.name, nested.get(f.name))
    return plan


@cache
def _defaults(cls: Any) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]] | None:
    """Every init field's starting value (None for upstream fields a record may lack) and
    default factories, or None when `cls` needs its own `__init__` (`__post_init__`, slots)."""
    if hasattr(cls, "__post_init__") or hasattr(cls, "__slots__"):
        return None
    plain: dict[str, Any] = {name: None for name, _ in _plan(cls).values()}
    factories = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            plain[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            plain.pop(f.name, None)  # made per instance, unless the record or `extra` has it
            factories.append((f.name, f.default_factory))
    return plain, tuple(factories)


@cache
def _fields(cls: Any) -> tuple[dict[str, str], dict[str, tuple[str, Any]]]:
    """`_plan` split in two: upstream key → python name for plain values, and the nested ones
    (built with their own type), so the common case is one lookup per record key."""
    plain, nested = {}, {}
    for key, (name, sub) in _plan(cls).items():
        if sub is None:
            plain[key] = name
        else:
            nested[key] = (name, sub)
    return plain, nested


def build(cls: type[T], record: Mapping[str, Any] | None, **extra: Any) -> T:
    """An instance of `cls` from `record`; fields named in `extra` are set from it instead.

    Tens of thousands of these are made per large tree, so for plain types the dataclass
    `__init__` (keyword parsing for ~30 fields) is skipped and only the keys the record has are
    visited: defaults, then the record, then `extra` go straight into the instance's `__dict__`.
    """
    return _build(cls, record, extra)


def _build(cls: type[T], record: Mapping[str, Any] | None, extra: dict[str, Any]) -> T:
    defaults = _defaults(cast(Any, cls))
    state: dict[str, Any] = {} if defaults is None else defaults[0].copy()
    if record:
        plain, nested = _fields(cast(Any, cls))
        get = plain.get
        for key, value in record.items():
            name = get(key)
            if name is not None:
                state[name] = value
            elif nested and key in nested:
                name, sub = nested[key]
                state[name] = None if value is None else _build(sub, value, {})
    state.update(extra)
    if defaults is None:
        for name, _ in _plan(cast(Any, cls)).values():
            state.setdefault(name, None)
        return cls(**state)
    for name, factory in defaults[1]:
        if name not in state:
            state[name] = factory()
    obj: T = object.__new__(cls)
    obj.__dict__ = state  # a fresh dict holding every field: what `__init__` would have made
    return obj


def build_node(
    cls: type[T],
    record: Mapping[str, Any] | None,
    source: str,
    native_id: str,
    *,
    key: str | None = None,
    **extra: Any,
) -> T:
    """`build` for a Node type: its global id (of `key`, else the native id), source and native
    id set in one place; `extra` carries the rest (provider, state, times)."""
    extra["id"] = global_id(cls.__name__, source, key or native_id)
    extra["source"] = source
    extra["native_id"] = native_id
    return _build(cls, record, extra)


class Detailed:
    """A type with an upstream detail record (GetRun, GetBatch…), read once, when first asked;
    `upstream_field`s read it. A type made from the detail record already holds it."""

    _detail: Mapping[str, Any] | None

    async def detail(self, info: strawberry.Info) -> Mapping[str, Any]:
        if self._detail is None:
            self._detail = await self.load_detail(info)
        return self._detail

    async def load_detail(self, info: strawberry.Info) -> Mapping[str, Any]:
        raise NotImplementedError


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
