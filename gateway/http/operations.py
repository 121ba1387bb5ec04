"""A document with several operations and no `operationName` is a request error.

The GraphQL spec's GetOperation asks for the name whenever the document holds more than one
operation; Strawberry instead runs the first. This extension (added by the app) refuses such a
request before validation, so the client learns it must say which operation it meant.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

MESSAGE = (
    "the document holds several operations: say which one to run in `operationName`, "
    "or send a document with exactly one"
)


class OneOperationOrAName(SchemaExtension):
    """See the module docstring."""

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        # Strawberry keeps the client's name only privately (`operation_name` falls back to the
        # first operation's); tests/http/test_spec.py fails if that changes (Strawberry is
        # bounded to the minor release the suite has seen).
        provided = getattr(ec, "_provided_operation_name", None)
        if document is not None and provided is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                ec.pre_execution_errors = [GraphQLError(MESSAGE, nodes=operations)]
        yield
