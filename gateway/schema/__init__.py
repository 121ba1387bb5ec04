"""The GraphQL schema: built once per app from the clouds of a registry.

It is an Apollo Federation v2 subgraph: every concrete Node type of every cloud is an entity
keyed by `id` (see `federation.py`), so `_service { sdl }` and `_entities` answer. This package
names no cloud: Query, the `Provider` enum and the types come from the registry handed in.
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
from strawberry.tools import merge_types

from gateway.clouds.base import Clouds
from gateway.graph import catalog
from gateway.graph.provider import bind_providers
from gateway.policy.errors import ErrorPolicy
from gateway.policy.incremental import StreamArgumentsRule
from gateway.policy.limits import GuardedParserCache, GuardedValidationCache, QueryGuard
from gateway.policy.telemetry import Telemetry
from gateway.schema import fastpath
from gateway.schema.executor import GatewayExecutor
from gateway.schema.federation import FEDERATION_VERSION, entities
from gateway.schema.nulls import describe_nulls
from gateway.schema.query import Query
from gateway.schema.subscription import Subscription


class GatewaySchema(strawberry.federation.Schema):
    """A federation schema that remembers the registry it was built from (`query.clouds_of`)."""

    def __init__(self, clouds: Clouds, **kwargs: Any) -> None:
        self.clouds = clouds
        super().__init__(**kwargs)


def build_schema(
    clouds: Clouds,
    introspection: bool = True,
    extra_extensions: Sequence[Any] = (),
    incremental: bool = False,
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
    bind_providers(clouds.kinds)
    catalog.RUN_MAKERS.update({c.kind.value: c.run_type for c in clouds if c.run_type})
    types = clouds.node_types
    entities(types)
    extra = [c.query_fields for c in clouds if c.query_fields is not None]
    query = merge_types("Query", (Query, *extra)) if extra else Query
    schema = GatewaySchema(
        clouds,
        query=query,
        subscription=Subscription,
        types=types,
        extensions=extensions,
        federation_version=FEDERATION_VERSION,
        config=StrawberryConfig(enable_experimental_incremental_execution=incremental),
        execution_context_class=GatewayExecutor,
    )
    fastpath.install(schema)
    describe_nulls(schema)
    return schema


def export_sdl(clouds: Clouds) -> str:
    return build_schema(clouds).as_str() + "\n"
