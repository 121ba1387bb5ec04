"""Strawberry's parser cache, with syntax errors reported like any other error.

`ParserCache` parses while *entering* the parse hook, so a syntax error escapes before
Strawberry's own parse step can turn it into a result: the operation hooks never see it, and
the error leaves without a code or request id and uncounted. Here a document that fails to
parse is left unset, Strawberry parses it again in its guarded step, and the error takes the
normal path (the cache keeps serving every document that does parse).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import ParserCache


class ReportingParserCache(ParserCache):
    """`ParserCache` whose syntax errors reach ErrorPolicy and telemetry."""

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        try:
            ctx.graphql_document = self.cached_parse_document(ctx.query, **ctx.parse_options)
        except GraphQLError:
            ctx.graphql_document = None
        yield
