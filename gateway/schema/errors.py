"""Every error leaves with a code from the one table; anything untyped is masked as INTERNAL.

Typed errors (`GatewayError`) keep their message and extensions. Parse and validation errors are
the client's (`BAD_USER_INPUT`). Everything else is logged with its stack trace under the
request id and reaches the client only as a generic INTERNAL error carrying that id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.providers.base import ErrorCode, GatewayError

log = logging.getLogger("gateway.errors")

#: graphql-core's hints (" Did you mean 'x' or 'y'?") tell a stranger the schema's names.
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")
_TOKEN_LIMIT = re.compile(r"Document contains more than \d+ tokens")


def shape_error(error: GraphQLError, request_id: str, suggestions: bool = True) -> GraphQLError:
    original = error.original_error
    if isinstance(original, GatewayError):
        return error
    if original is None:
        extensions = dict(error.extensions or {})
        if _TOKEN_LIMIT.search(error.message):  # graphql-core's token cap is a syntax error
            extensions.setdefault("code", ErrorCode.QUERY_TOO_COSTLY.value)
        extensions.setdefault("code", ErrorCode.BAD_USER_INPUT.value)
        message = error.message if suggestions else _SUGGESTION.sub("", error.message)
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )
    log.error(
        "internal error at %s (request %s)",
        ".".join(map(str, error.path or [])),
        request_id,
        exc_info=original,
    )
    return GraphQLError(
        "internal error",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": ErrorCode.INTERNAL.value, "requestId": request_id},
    )


class ErrorPolicy(SchemaExtension):
    """Applies `shape_error` to every error of every operation."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not result or not result.errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        settings = getattr(getattr(context, "upstream", None), "settings", None)
        suggestions = settings.graphql.suggestions if settings is not None else True
        result.errors = [shape_error(e, request_id, suggestions) for e in result.errors]
