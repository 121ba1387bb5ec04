"""`GatewayExecutor`: a streamed list's items run side by side, and only once the patches are
read (the first part has left); answers are graphql-core's own."""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import (
    GraphQLDeferDirective,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLStreamDirective,
    experimental_execute_incrementally,
    parse,
    specified_directives,
)

from gateway.schema.executor import GatewayExecutor

ITEMS = 3


def schema(started: list[int], all_started: asyncio.Event) -> GraphQLSchema:
    async def n(item: int, _info: Any) -> int:
        started.append(item)
        if len(started) == ITEMS:
            all_started.set()
        # One after the other, the first item would wait here for ever: only items run side
        # by side all get past it.
        await asyncio.wait_for(all_started.wait(), 10)
        return item

    item = GraphQLObjectType("Item", {"n": GraphQLField(GraphQLInt, resolve=n)})
    query = GraphQLObjectType("Query", {"items": GraphQLField(GraphQLList(item))})
    directives = [*specified_directives, GraphQLDeferDirective, GraphQLStreamDirective]
    return GraphQLSchema(query, directives=directives)


async def test_streamed_items_wait_for_the_first_part_then_run_side_by_side() -> None:
    started: list[int] = []
    result: Any = experimental_execute_incrementally(
        schema(started, asyncio.Event()),
        parse("{ items @stream(initialCount: 0) { n } }"),
        root_value={"items": list(range(ITEMS))},
        executor_class=GatewayExecutor,
    )
    if asyncio.iscoroutine(result):
        result = await result
    assert result.initial_result.data == {"items": []}
    await asyncio.sleep(0.05)  # a chance for an eager producer to run: it must not
    assert started == [], "no item ran before the patches were read"
    items: list[Any] = []
    async for patch in result.subsequent_results:
        for part in patch.incremental or ():
            assert not part.errors, part.errors
            items.extend(part.items)
    assert items == [{"n": i} for i in range(ITEMS)]
    assert sorted(started) == list(range(ITEMS))
