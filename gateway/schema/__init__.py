"""The GraphQL schema: built once per app from the types of every provider module."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, ParserCache, ValidationCache

from gateway.schema.datazone import DataZoneJob, DataZoneJobRun
from gateway.schema.errors import ErrorPolicy
from gateway.schema.healthomics import HealthOmicsBatch, HealthOmicsRun, HealthOmicsTask
from gateway.schema.query import Query
from gateway.schema.subscription import Subscription
from gateway.schema.tencent import TencentRun, TencentRunCall, TencentRunGroup

#: Types reachable only through an interface must be named to the schema.
CONCRETE_TYPES: list[type] = [
    HealthOmicsBatch,
    HealthOmicsRun,
    HealthOmicsTask,
    TencentRunGroup,
    TencentRun,
    TencentRunCall,
    DataZoneJob,
    DataZoneJobRun,
]


def build_schema(introspection: bool = True) -> strawberry.Schema:
    extensions: list[Any] = [ErrorPolicy, ParserCache, ValidationCache]
    if not introspection:
        extensions.append(AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(
        query=Query, subscription=Subscription, types=CONCRETE_TYPES, extensions=extensions
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
