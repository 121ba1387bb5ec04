"""The GraphQL schema: built once per app from the types of every provider module.

It is an Apollo Federation v2 subgraph: every concrete Node type in `CONCRETE_TYPES` is an
entity keyed by `id` (see `federation.py`), so `_service { sdl }` and `_entities` answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import strawberry
import strawberry.federation
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules
from strawberry.schema.config import StrawberryConfig

from gateway.clouds.datazone.graph import DataZoneJob, DataZoneJobRun
from gateway.clouds.healthomics.graph import HealthOmicsBatch, HealthOmicsRun, HealthOmicsTask
from gateway.clouds.tencent.graph import TencentRun, TencentRunCall, TencentRunGroup
from gateway.policy.errors import ErrorPolicy
from gateway.policy.incremental import StreamArgumentsRule
from gateway.policy.limits import GuardedParserCache, GuardedValidationCache, QueryGuard
from gateway.policy.telemetry import Telemetry
from gateway.schema import fastpath
from gateway.schema.federation import FEDERATION_VERSION, entities
from gateway.schema.query import Query
from gateway.schema.subscription import Subscription

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


def build_schema(
    introspection: bool = True, extra_extensions: Sequence[Any] = (), incremental: bool = False
) -> strawberry.Schema:
    """`incremental` adds `@defer`/`@stream` (`[graphql] incremental`; experimental upstream)."""
    # Telemetry first: its exit runs last, after ErrorPolicy has shaped the errors. The guard
    # refuses over-budget documents before validation; its caches keep parse errors visible.
    extensions: list[Any] = [
        Telemetry,
        ErrorPolicy,
        QueryGuard,
        GuardedParserCache,
        GuardedValidationCache,
    ]
    extensions.extend(extra_extensions)
    if incremental:
        extensions.append(partial(AddValidationRules, [StreamArgumentsRule]))
    if not introspection:
        # A factory, not an instance: instances are deprecated since Strawberry 0.341.
        extensions.append(partial(AddValidationRules, [NoSchemaIntrospectionCustomRule]))
    entities(CONCRETE_TYPES)
    schema = strawberry.federation.Schema(
        query=Query,
        subscription=Subscription,
        types=CONCRETE_TYPES,
        extensions=extensions,
        federation_version=FEDERATION_VERSION,
        config=StrawberryConfig(enable_experimental_incremental_execution=incremental),
    )
    fastpath.install(schema)
    return schema


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
