"""Cheaper per-field and per-object hooks for the built schema, with Strawberry's semantics.

A large tree completes ~80k fields and ~20k interface-typed objects. For each, Strawberry's
generic hooks cost several Python calls: a plain attribute goes through `_get_basic_result` →
`StrawberryField.get_result` (two property reads) → `getattr`; an interface's `resolve_type`
first tries `strawberry.cast` against every possible type, then `isinstance` and the definition
lookup; `is_type_of` checks casts and generics. `install` swaps in one-call equivalents for the
cases that are plain (no resolver, no field extension, no cast, no generic) and keeps Strawberry's
own hook as the fallback for everything else, so answers and errors stay the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import strawberry
from graphql import GraphQLInterfaceType, GraphQLObjectType
from graphql import GraphQLResolveInfo as _CoreInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.field import StrawberryField

_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF
Info: TypeAlias = "_CoreInfo[Any]"


def _attribute(name: str) -> Callable[[Any, Info], Any]:
    def resolve(source: Any, _info: Info) -> Any:
        return getattr(source, name)

    return resolve


def _plain_definition(gql_type: GraphQLObjectType) -> StrawberryObjectDefinition | None:
    definition = (gql_type.extensions or {}).get(_BACKREF)
    if not isinstance(definition, StrawberryObjectDefinition):
        return None
    if definition.is_graphql_generic or definition.concrete_of is not None:
        return None
    return definition


def _fast_fields(gql_type: GraphQLObjectType) -> int:
    """Plain attribute fields read with one `getattr` (what Strawberry's default does)."""
    swapped = 0
    for field in gql_type.fields.values():
        if not getattr(field.resolve, "_is_default", False):
            continue
        definition = (field.extensions or {}).get(_BACKREF)
        if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
            continue
        if definition.default_resolver is not getattr or not definition.python_name:
            continue
        field.resolve = _attribute(definition.python_name)
        swapped += 1
    return swapped


def _fast_is_type_of(gql_type: GraphQLObjectType, origin: type) -> None:
    original = gql_type.is_type_of
    if original is None:
        return

    def is_type_of(obj: Any, info: Info) -> Any:
        if obj.__class__ is origin and getattr(obj, TYPE_CAST_ATTRIBUTE, None) is None:
            return True
        return original(obj, info)

    gql_type.is_type_of = is_type_of


def _fast_resolve_type(iface: GraphQLInterfaceType, by_class: dict[type, str]) -> None:
    original = iface.resolve_type
    if original is None or not by_class:
        return

    def resolve_type(obj: Any, info: Info, abstract: Any) -> Any:
        name = by_class.get(obj.__class__)
        if name is not None and getattr(obj, TYPE_CAST_ATTRIBUTE, None) is None:
            return name
        return original(obj, info, abstract)

    iface.resolve_type = resolve_type


def install(schema: strawberry.Schema) -> int:
    """Swaps the fast hooks into `schema`'s graphql-core types; returns how many fields."""
    core = schema._schema
    swapped = 0
    for gql_type in core.type_map.values():
        if gql_type.name.startswith("__") or not isinstance(gql_type, GraphQLObjectType):
            continue
        swapped += _fast_fields(gql_type)
        definition = _plain_definition(gql_type)
        # An object type's own `is_type_of` (declared by the type) is kept as it is.
        if definition is not None and definition.is_type_of is None:
            _fast_is_type_of(gql_type, definition.origin)
    for gql_type in core.type_map.values():
        if not isinstance(gql_type, GraphQLInterfaceType):
            continue
        idef = (gql_type.extensions or {}).get(_BACKREF)
        if not isinstance(idef, StrawberryObjectDefinition) or idef.resolve_type is not None:
            continue  # an interface with its own resolve_type keeps it
        by_class: dict[type, str] = {}
        for possible in core.get_possible_types(gql_type):
            definition = _plain_definition(possible)
            if definition is not None and issubclass(definition.origin, idef.origin):
                by_class[definition.origin] = possible.name
        _fast_resolve_type(gql_type, by_class)
    return swapped
