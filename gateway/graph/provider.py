"""The GraphQL `Provider` enum, whose values are the registry's clouds.

Strawberry reads an enum's values when a schema is built, so the values are bound just before
(`bind_providers`), from the clouds the app was built with: a cloud registered from outside
`gateway/` appears here with no edit. Resolvers return the cloud's `ProviderKind` itself.
`tests/clouds/lab/test_cloud.py` fails if Strawberry stops reading the definition this way.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import strawberry
from strawberry.types.enum import EnumValue, StrawberryEnumDefinition

from gateway.types import ProviderKind


@strawberry.enum(name="Provider", description=None)
class Provider(enum.Enum):
    """Placeholder for the GraphQL enum; its members come from `bind_providers`."""


def bind_providers(kinds: Sequence[ProviderKind]) -> None:
    """Give the GraphQL `Provider` enum one value per kind, in registry order."""
    # Fields captured the definition object when their types were resolved: update it in place.
    definition: StrawberryEnumDefinition = Provider.__strawberry_definition__  # type: ignore[attr-defined]
    definition.wrapped_cls = enum.Enum("Provider", [(k.name, k) for k in kinds])  # type: ignore[misc]
    definition.values = [EnumValue(k.name, k) for k in kinds]
