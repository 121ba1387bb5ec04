"""The fast hooks answer exactly what Strawberry's own hooks answer, errors included."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.clouds.registry import DEFAULT_CLOUDS
from gateway.schema import build_schema, fastpath


@strawberry.interface
class Thing:
    name: str


@strawberry.type
class Plain(Thing):
    size: int
    _hidden: strawberry.Private[int] = 0

    @strawberry.field
    def doubled(self) -> int:
        return self.size * 2


@strawberry.type
class Other(Thing):
    colour: str | None = None


class PlainSubclass(Plain):
    """Not a Strawberry type of its own: Strawberry resolves it through isinstance."""


@strawberry.type
class Unrelated:
    name: str


def _things() -> list[Any]:
    cast_one = strawberry.cast(Other, Plain(name="cast", size=9))
    return [
        Plain(name="p", size=2),
        Other(name="o", colour="blue"),
        PlainSubclass(name="sub", size=3),
        cast_one,
    ]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return _things()

    @strawberry.field
    def wrong(self) -> Thing | None:
        return Unrelated(name="x")  # type: ignore[return-value]

    @strawberry.field
    def plain(self) -> Plain | None:
        return Unrelated(name="y")  # type: ignore[return-value]


QUERY = """{
  things { __typename name ... on Plain { size doubled } ... on Other { colour } }
  wrong { name }
  plain { name }
}"""


def _answer(install: bool) -> tuple[Any, list[str]]:
    schema = strawberry.Schema(query=Query, types=[Plain, Other, Unrelated])
    if install:
        assert fastpath.install(schema) > 0
    result = schema.execute_sync(QUERY)
    return result.data, sorted(e.message for e in result.errors or [])


def test_answers_and_errors_match_strawberry() -> None:
    data, errors = _answer(install=True)
    assert (data, errors) == _answer(install=False)
    assert data is not None
    assert [t["__typename"] for t in data["things"]] == ["Plain", "Other", "Plain", "Other"]
    assert data["things"][2] == {"__typename": "Plain", "name": "sub", "size": 3, "doubled": 6}
    assert data["wrong"] is None and data["plain"] is None
    # the cast object lacks `colour`; the two wrong objects are refused
    assert len(errors) == 3


def test_the_gateway_schema_has_the_fast_hooks() -> None:
    schema = build_schema(DEFAULT_CLOUDS)
    task = schema._schema.get_type("HealthOmicsTask")
    assert task is not None and task.fields["cpus"].resolve.__name__ == "resolve"  # type: ignore[attr-defined]
    # installing again finds nothing left to swap
    assert fastpath.install(schema) == 0
