"""What a null means, said in the schema for every nullable field that has no description.

Nullable fields are nullable for a reason (one failing source leaves the rest of the tree; the
upstream may not report a value), and a client cannot tell the reasons apart unless the schema
says. The shared vocabulary's meanings are written here, by field name or `Type.field`, and
applied to the built schema (interfaces and every implementation alike), so a provider type
never states them differently; a provider's own upstream field falls back to `UPSTREAM`.
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLInterfaceType, GraphQLNonNull, GraphQLObjectType

#: Meanings by field name, on whatever type carries it (unless `BY_TYPE` says otherwise).
BY_NAME: dict[str, str] = {
    "totalCount": (
        "How many items the whole connection holds; null when the upstream does not report a "
        "total (HealthOmics run and task lists, DataZone job runs, a filtered batch), never "
        "counted by walking the list."
    ),
    "startCursor": "Cursor of the first edge; null when the page is empty.",
    "endCursor": "Cursor of the last edge; null when the page is empty.",
    "name": "Name given upstream; null when it has none.",
    "state": (
        "Normalised state; null only when the upstream reports no status at all (an unknown "
        "status is UNKNOWN, never null)."
    ),
    "createdAt": "When the upstream created it; null when the upstream does not say.",
    "startedAt": "When it started; null until it has started (or when the upstream does not say).",
    "stoppedAt": "When it stopped; null while it is still going (or the upstream does not say).",
    "totalRuns": "How many runs the upstream says it holds; null when the upstream does not say.",
    "runs": (
        "Its runs; null with an error on this path when its source fails, so the rest of the "
        "tree still answers."
    ),
    "tasks": (
        "Its tasks; null without an error where the provider has no task breakdown (DataZone) "
        "or the run was deleted upstream (its state says so); null with an error on this path "
        "when its source fails."
    ),
    "calls": (
        "The calls of this sub-workflow; null with an error on this path when its source fails."
    ),
    "batch": "The batch it was submitted in; null when it belongs to none.",
    "job": "The job this run belongs to; null with an error when its source fails.",
}

#: Meanings for one type's field, where the name alone would say something else.
BY_TYPE: dict[str, str] = {
    "RunSubmission.runId": "The run it started; null when the submission failed.",
    "RunSubmission.runInternalUuid": "The run's UUID; null when the submission failed.",
    "RunSubmission.runArn": "The run's ARN; null when the submission failed.",
    "RunSubmission.submissionFailureReason": "Why it failed; null unless the submission failed.",
    "RunSubmission.submissionFailureMessage": "Upstream's message; null unless it failed.",
    "Query.node": "The object with this id; null (with NOT_FOUND) when it does not exist.",
}

#: A provider type's own field, carried under its upstream name.
UPSTREAM = "Upstream value under its upstream name; null when the upstream does not return it."


def describe_nulls(schema: strawberry.Schema) -> int:
    """Give every undescribed nullable field of `schema` its meaning; returns how many."""
    described = 0
    for type_name, gql_type in schema._schema.type_map.items():
        if type_name.startswith("_") or not isinstance(
            gql_type, GraphQLObjectType | GraphQLInterfaceType
        ):
            continue
        for field_name, field in gql_type.fields.items():
            if field.description or isinstance(field.type, GraphQLNonNull):
                continue
            field.description = (
                BY_TYPE.get(f"{type_name}.{field_name}") or BY_NAME.get(field_name) or UPSTREAM
            )
            described += 1
    return described
