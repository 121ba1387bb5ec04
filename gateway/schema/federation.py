"""Apollo Federation v2: every concrete `Node` type is an entity keyed by its global `id`.

A supergraph router resolves references through `_entities`; each representation goes through
the same `node` resolution as `Query.node` (`query.resolve_node`), so it uses the request's
DataLoaders (N representations of one kind → one loader batch, duplicates → one upstream call)
and whatever source authorisation guards `node`. Marking is by type, not by module: a provider
module's types become entities when they are passed to the schema, with no edit here.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types.base import StrawberryObjectDefinition

from gateway.errors import ErrorCode, GatewayError
from gateway.graph.context import Info
from gateway.graph.ids import parse_global_id
from gateway.graph.interfaces import Node

#: Apollo's federation spec version the subgraph SDL links (`@link(url: …/v2.x)`).
FEDERATION_VERSION: Final[Literal["2.7"]] = "2.7"
ENTITY_KEY = FieldSet("id")


def _definition(cls: type) -> StrawberryObjectDefinition:
    definition: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    return definition


def is_entity(cls: type) -> bool:
    return any(isinstance(d, Key) for d in _definition(cls).directives or ())


def entity(cls: type) -> type:
    """Make `cls` (a concrete Node type) a federation entity keyed by `id`; idempotent."""
    if is_entity(cls):
        return cls
    definition = _definition(cls)
    definition.directives = [*(definition.directives or ()), Key(fields=ENTITY_KEY)]
    type_name = definition.name

    async def resolve_reference(info: Info, id: str, **_: Any) -> Any:
        # Imported here: query imports the provider schema modules whose types land here.
        from gateway.schema.query import resolve_node

        if parse_global_id(id)[0] != type_name:
            raise GatewayError(f"no {type_name} with this id", ErrorCode.NOT_FOUND)
        return await resolve_node(info, id)

    cls.resolve_reference = staticmethod(resolve_reference)  # type: ignore[attr-defined]
    return cls


def entities(types: list[type]) -> list[type]:
    """Every concrete Node type among `types`, marked as an entity."""
    return [entity(t) for t in types if issubclass(t, Node)]
