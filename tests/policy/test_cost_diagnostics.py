"""The cost estimate counts log lines as nodes and the diagnostics fields' own upstream calls."""

from __future__ import annotations

from graphql import parse

from gateway.clouds.healthomics.diagnostics_fields import (
    BATCH_COST_CALLS,
    EXCERPT_CALLS,
    RUN_COST_CALLS,
)
from gateway.clouds.registry import DEFAULT_CLOUDS
from gateway.policy.cost import estimate
from gateway.schema import build_schema

SCHEMA = build_schema(DEFAULT_CLOUDS)._schema


def cost_of(query: str) -> tuple[int, int]:
    found = estimate(SCHEMA, parse(query))
    return found.nodes, found.calls


def test_log_lines_are_nodes_and_pages_are_calls() -> None:
    base = cost_of('{ run(source: "s", id: "1") { id } }')
    logs = cost_of(
        '{ run(source: "s", id: "1") { ... on HealthOmicsRun { engineLog(first: 40) '
        "{ edges { node { message } } } } } }"
    )
    assert logs[0] - base[0] == 40
    assert logs[1] - base[1] == 1


def test_excerpts_and_costs_count_their_calls() -> None:
    tasks = (
        '{ run(source: "s", id: "1") { ... on HealthOmicsRun { tasks(first: 10) '
        "{ edges { node { id %s } } } } } }"
    )
    plain = cost_of(tasks % "")
    excerpt = cost_of(tasks % "errorExcerpt")
    assert excerpt[1] - plain[1] == 10 * EXCERPT_CALLS
    run = cost_of('{ run(source: "s", id: "1") { ... on HealthOmicsRun { cost { totalUsd } } } }')
    assert run[1] - cost_of('{ run(source: "s", id: "1") { id } }')[1] == RUN_COST_CALLS
    batch = cost_of(
        '{ batch(source: "s", id: "1") { ... on HealthOmicsBatch { cost { totalUsd } } } }'
    )
    assert batch[1] - cost_of('{ batch(source: "s", id: "1") { id } }')[1] == BATCH_COST_CALLS
