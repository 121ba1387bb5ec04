"""Relay's paging arguments (and a root's filters), declared once for every connection field.

A connection resolver takes `*, page: PageArgs` where its `first/after/last/before` belong, and
optionally `filters: F` for a frozen dataclass `F` of optional arguments; `@relay` (or
`@relay(filters=F)`) puts the GraphQL arguments there, with the names, types, defaults and
order they would have written out by hand, and hands the resolver one `PageArgs` and one `F`.
Strawberry reads a resolver's arguments from its signature, which `inspect` takes from
`__signature__`: the test that `schema.graphql` equals the export fails if that stops holding.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict, TypeVar

R = TypeVar("R")
Resolver = Callable[..., Awaitable[R]]


class PageArgs(TypedDict):
    """Relay arguments as `Loaders.connection` takes them."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None


def _expanded(bundle: type) -> list[inspect.Parameter]:
    hints = typing.get_type_hints(bundle)
    names = list(hints) if bundle is PageArgs else [f.name for f in dataclasses.fields(bundle)]
    kind = inspect.Parameter.KEYWORD_ONLY
    return [inspect.Parameter(n, kind, default=None, annotation=hints[n]) for n in names]


def _wrap(resolve: Resolver[R], bundles: dict[str, type]) -> Resolver[R]:
    signature = inspect.signature(resolve)
    missing = set(bundles) - set(signature.parameters)
    if missing:
        raise TypeError(f"{resolve.__qualname__} lacks parameters {sorted(missing)}")
    params: list[inspect.Parameter] = []
    for param in signature.parameters.values():
        bundle = bundles.get(param.name)
        params += [param] if bundle is None else _expanded(bundle)
    owned = {name: [p.name for p in _expanded(b)] for name, b in bundles.items()}

    @functools.wraps(resolve)
    async def expanded(*args: Any, **kwargs: Any) -> R:
        for name, bundle in bundles.items():
            values = {field: kwargs.pop(field, None) for field in owned[name]}
            kwargs[name] = bundle(**values)
        return await resolve(*args, **kwargs)

    expanded.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return expanded


@typing.overload
def relay(resolve: Resolver[R], /) -> Resolver[R]: ...


@typing.overload
def relay(*, filters: type) -> Callable[[Resolver[R]], Resolver[R]]: ...


def relay(
    resolve: Resolver[R] | None = None, /, *, filters: type | None = None
) -> Resolver[R] | Callable[[Resolver[R]], Resolver[R]]:
    """Expose `first/after/last/before` (and `filters`' fields) in place of `page` (`filters`)."""
    bundles: dict[str, type] = {"page": PageArgs}
    if filters is not None:
        bundles["filters"] = filters
    if resolve is not None:
        return _wrap(resolve, bundles)
    return lambda fn: _wrap(fn, bundles)
