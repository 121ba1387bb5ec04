"""What a run's cost estimate has in common across clouds, and the null answer where none exists.

HealthOmics prices runs from their manifests; Tencent Cloud Omics and DataZone publish no usage
or cost anywhere in their APIs, so their `cost` is always null and says why in its description.
"""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.graph.context import Info


@strawberry.interface(description="An estimated run cost from list prices.")
class RunCost:
    total_usd: float | None
    complete: bool
    reason: str | None


def no_cost(why: str) -> Any:
    """A `cost` field that is always null, with `why` as its description."""

    def resolve(root: Any, info: Info) -> RunCost | None:
        return None

    return strawberry.field(resolver=resolve, description=why)
