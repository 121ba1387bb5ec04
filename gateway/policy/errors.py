"""Every error leaves with a code from the one table; anything untyped is masked as INTERNAL.

Typed errors (`GatewayError`) keep their message and extensions. Parse and validation errors are
the client's (`BAD_USER_INPUT`). Everything else is logged with its stack trace under the
request id and reaches the client only as a generic INTERNAL error. Every error carries the
request's id (`requestId`, also the `X-Request-Id` header and each log line's `request_id`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult, StreamExecutionResult

from gateway.errors import ErrorCode, GatewayError
from gateway.policy.incremental import initial, is_bad_initial_count

log = logging.getLogger("gateway.errors")

#: graphql-core's hints (" Did you mean 'x' or 'y'?") tell a stranger the schema's names.
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")
_TOKEN_LIMIT = re.compile(r"Document contains more than \d+ tokens")


def shape_error(error: GraphQLError, request_id: str, suggestions: bool = True) -> GraphQLError:
    """The client's view of `error`: a code from the table and the request's id, always."""
    original = error.original_error
    if is_bad_initial_count(original):
        return GraphQLError(
            "@stream(initialCount:) must be 0 or more",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": ErrorCode.BAD_USER_INPUT.value, "requestId": request_id},
        )
    if isinstance(original, GatewayError):
        error.extensions = {**(error.extensions or {}), "requestId": request_id}
        return error
    # graphql-core wraps its own errors (variable coercion: "Variable '$n' got invalid value")
    # with the inner GraphQLError as original: still the document's mistake, not ours.
    if original is None or isinstance(original, GraphQLError):
        extensions = dict(error.extensions or {})
        if _TOKEN_LIMIT.search(error.message):  # graphql-core's token cap is a syntax error
            extensions.setdefault("code", ErrorCode.QUERY_TOO_COSTLY.value)
        extensions.setdefault("code", ErrorCode.BAD_USER_INPUT.value)
        extensions["requestId"] = request_id
        message = error.message if suggestions else _SUGGESTION.sub("", error.message)
        if isinstance(original, GraphQLError) and message.startswith("Variable '$"):
            message += " (send in `variables` a value of the type the operation declares)"
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
        result = initial(self.execution_context.result)
        if not result or not result.errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        result.errors = [shape_error(e, request_id, _suggestions(context)) for e in result.errors]

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """Subscription events leave one by one (over WebSocket): shape each as it goes."""
        if isinstance(result, ExecutionResult) and result.errors:
            context = self.execution_context.context
            request_id = getattr(context, "request_id", "-")
            suggestions = _suggestions(context)
            result.errors = [shape_error(e, request_id, suggestions) for e in result.errors]
        yield


def _suggestions(context: object) -> bool:
    settings = getattr(getattr(context, "upstream", None), "settings", None)
    return bool(settings.graphql.suggestions) if settings is not None else True
