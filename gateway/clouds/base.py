"""`Cloud`: everything the app, the schema and config need of one cloud; `Clouds`, a registry.

A cloud is one folder (`clouds/<cloud>/`) and one object implementing this, handed to the app
in a `Clouds` registry; nothing else names it. Its provider floor (wire, records, states) knows
no GraphQL; its graph floor (types, loaders, roots) is what `roots` and `node_types` expose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from gateway.config import ConfigError, Settings, SourceConfig
from gateway.graph.roots import BatchRoots, Roots, RunListRoots, RunType
from gateway.live.events import CloudEvents
from gateway.states import StateTables
from gateway.types import Provider, ProviderKind
from gateway.upstream.wiring import Wiring

#: Builds one provider per source of a cloud, sharing what the cloud shares among them.
ProviderFactory = Callable[[Sequence[SourceConfig], Wiring], dict[str, Provider]]


@dataclass(frozen=True)
class Cloud:
    """One upstream API family, as the registry holds it: each cloud is one instance.

    `options` validates a `[[sources]]` entry of the cloud (extra keys refused); `node_types`
    are its concrete GraphQL types; its `roots` answer `batches`/`runs` where the upstream has
    batches / lists runs per source (else `hint` says what to use instead); `query_fields`
    is a Strawberry type of extra root fields merged into Query; `example_batch_filter` is the
    `batches` filter GraphiQL's example tree uses (None: no example from this cloud).
    """

    states: StateTables
    options: type[BaseModel]
    node_types: tuple[type, ...]
    roots: Roots
    providers: ProviderFactory
    hint: str = ""
    query_fields: type | None = None
    example_batch_filter: str | None = None
    #: The cloud's Run type (`make(source, record)`): how the catalogue's records are served.
    run_type: RunType | None = None
    #: Where the cloud publishes status changes to a queue: how the push consumer reads them.
    events: CloudEvents | None = None

    @property
    def kind(self) -> ProviderKind:
        return self.states.kind

    @property
    def batches(self) -> BatchRoots | None:
        """The roots, where they answer `batch`/`batches` (the upstream has batches)."""
        return self.roots if isinstance(self.roots, BatchRoots) else None

    @property
    def run_lists(self) -> RunListRoots | None:
        """The roots, where they answer `runs` (the upstream lists runs by source)."""
        return self.roots if isinstance(self.roots, RunListRoots) else None


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
