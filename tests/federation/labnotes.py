"""A second subgraph, written for the federation test: a lab's own notes on runs.

It extends the gateway's `HealthOmicsRun` entity with `labNotes` and has a root field whose
runs the router must resolve through the gateway's `_entities`.
"""

from __future__ import annotations

import strawberry
from strawberry.asgi import GraphQL
from strawberry.relay import GlobalID


def notes_for(global_id: str) -> str:
    """The deterministic note the test expects for a run's global id."""
    node_id = GlobalID.from_id(global_id).node_id
    return f"lab notes on {node_id}"


@strawberry.federation.type(keys=["id"])
class HealthOmicsRun:
    id: strawberry.ID

    @strawberry.field
    def lab_notes(self) -> str:
        return notes_for(self.id)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> HealthOmicsRun:
        return cls(id=id)


def create_labnotes_app(pinned: list[str]) -> GraphQL[None, None]:
    """The subgraph as an ASGI app; `pinnedRuns` returns references to `pinned` run ids."""

    @strawberry.type
    class Query:
        @strawberry.field
        def pinned_runs(self) -> list[HealthOmicsRun]:
            return [HealthOmicsRun(id=strawberry.ID(i)) for i in pinned]

    schema = strawberry.federation.Schema(query=Query, federation_version="2.7")
    return GraphQL(schema)
