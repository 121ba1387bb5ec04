"""The `Cloud` Protocol: everything the app, the schema and config need of one cloud.

A cloud is one folder (`clouds/<cloud>/`) and one object implementing this, handed to the app
in a `Clouds` registry; nothing else names it. Its provider floor (wire, records, states) knows
no GraphQL; its graph floor (types, loaders, roots) is what `roots` and `node_types` expose.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from pydantic import BaseModel, ValidationError

from gateway.config import ConfigError, Settings, SourceConfig
from gateway.graph.roots import BatchRoots, Roots, RunListRoots
from gateway.states import StateTables
from gateway.types import Provider, ProviderKind
from gateway.upstream.wiring import Wiring


class Cloud(Protocol):
    """One upstream API family, as the registry holds it."""

    @property
    def kind(self) -> ProviderKind: ...

    #: Validates a `[[sources]]` entry of this cloud (extra keys refused, required ones named).
    @property
    def options(self) -> type[BaseModel]: ...

    @property
    def states(self) -> StateTables: ...

    #: Concrete GraphQL types (Node implementations and what only they reach).
    @property
    def node_types(self) -> Sequence[type]: ...

    @property
    def roots(self) -> Roots: ...

    #: None where the upstream has no batches / no run listing per source.
    @property
    def batches(self) -> BatchRoots | None: ...

    @property
    def run_lists(self) -> RunListRoots | None: ...

    #: Said when a root the cloud lacks is asked for (e.g. DataZone: use `dataZoneJob`).
    @property
    def hint(self) -> str: ...

    #: Extra root fields of this cloud (a Strawberry type merged into Query), or None.
    @property
    def query_fields(self) -> type | None: ...

    #: The filter GraphiQL's example tree adds to `batches` (None: no example from this cloud).
    @property
    def example_batch_filter(self) -> str | None: ...

    def providers(self, sources: Sequence[SourceConfig], wiring: Wiring) -> dict[str, Provider]:
        """One provider per source of this cloud."""
        ...


class Clouds:
    """An ordered set of clouds: the GraphQL `Provider` enum and `node` dispatch follow it."""

    def __init__(self, *clouds: Cloud) -> None:
        self._clouds = tuple(clouds)
        self._by_kind = {c.kind.value: c for c in clouds}
        if len(self._by_kind) != len(clouds):
            raise ValueError("two clouds of one kind")
        self._by_type = {name: c for c in clouds for name in c.roots.node_types}

    def __iter__(self) -> Iterator[Cloud]:
        return iter(self._clouds)

    @property
    def kinds(self) -> list[ProviderKind]:
        return [c.kind for c in self._clouds]

    @property
    def node_types(self) -> list[type]:
        return [t for c in self._clouds for t in c.node_types]

    def by_kind(self, value: str) -> Cloud | None:
        return self._by_kind.get(value)

    def for_type(self, type_name: str) -> Cloud | None:
        """The cloud whose `node` resolves global ids of `type_name`."""
        return self._by_type.get(type_name)

    def with_cloud(self, cloud: Cloud) -> Clouds:
        return Clouds(*self._clouds, cloud)

    def validate(self, settings: Settings) -> None:
        """Each source names a registered cloud and passes that cloud's own options model."""
        problems: list[str] = []
        for i, source in enumerate(settings.sources):
            cloud = self._by_kind.get(source.provider)
            if cloud is None:
                known = ", ".join(self._by_kind)
                problems.append(f"sources.{i}.provider: unknown {source.provider!r} ({known})")
                continue
            try:
                cloud.options.model_validate(source.model_dump(exclude_none=True))
            except ValidationError as exc:
                problems.extend(
                    f"sources.{i}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                    for e in exc.errors()
                )
        if problems:
            raise ConfigError(f"invalid configuration: {'; '.join(problems)}")
