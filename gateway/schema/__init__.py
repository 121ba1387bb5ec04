"""The GraphQL schema: built once per app from the types of every provider module."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, ParserCache, ValidationCache

from gateway.schema.errors import ErrorPolicy
from gateway.schema.healthomics import HealthOmicsBatch, HealthOmicsRun, HealthOmicsTask
from gateway.schema.query import Query
from gateway.schema.telemetry import Telemetry

#: Types reachable only through an interface must be named to the schema.
CONCRETE_TYPES: list[type] = [HealthOmicsBatch, HealthOmicsRun, HealthOmicsTask]


def build_schema(
    introspection: bool = True, extra_extensions: Sequence[Any] = ()
) -> strawberry.Schema:
    # Telemetry first: its exit runs last, after ErrorPolicy has shaped the errors.
    extensions: list[Any] = [Telemetry, ErrorPolicy, ParserCache, ValidationCache]
    extensions.extend(extra_extensions)
    if not introspection:
        extensions.append(AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(query=Query, types=CONCRETE_TYPES, extensions=extensions)


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
