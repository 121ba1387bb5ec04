"""The GraphQL schema: built once per app from the types of every provider module."""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules

from gateway.schema.errors import ErrorPolicy
from gateway.schema.healthomics import HealthOmicsBatch, HealthOmicsRun, HealthOmicsTask
from gateway.schema.limits import GuardedParserCache, GuardedValidationCache, QueryGuard
from gateway.schema.query import Query

#: Types reachable only through an interface must be named to the schema.
CONCRETE_TYPES: list[type] = [HealthOmicsBatch, HealthOmicsRun, HealthOmicsTask]


def build_schema(introspection: bool = True) -> strawberry.Schema:
    extensions: list[Any] = [
        ErrorPolicy,
        QueryGuard,
        GuardedParserCache,
        GuardedValidationCache,
    ]
    if not introspection:
        # A factory, not an instance: instances are deprecated since Strawberry 0.341.
        extensions.append(partial(AddValidationRules, [NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(query=Query, types=CONCRETE_TYPES, extensions=extensions)


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
