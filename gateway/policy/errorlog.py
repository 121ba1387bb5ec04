"""How loud each GraphQL error is in the logs: a client's mistake is not the server's fault.

Strawberry logs every error of every operation at ERROR with its traceback (logger
`strawberry.execution`), so a mistyped id looked like an outage. This filter on that logger
keeps the line but sets its level from the error's code: the client's own mistakes at INFO,
upstream trouble at WARNING, both without a traceback. An untyped failure (INTERNAL) is
dropped here because `policy.errors.shape_error` already logs it once, with its traceback,
under the request id.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError

from gateway.errors import ErrorCode, GatewayError

STRAWBERRY_LOGGER = "strawberry.execution"

#: Codes that mean the client asked for something wrong or not allowed: nothing to fix here.
CLIENT_CODES = frozenset(
    {
        ErrorCode.BAD_USER_INPUT,
        ErrorCode.NOT_FOUND,
        ErrorCode.CURSOR_EXPIRED,
        ErrorCode.UNAUTHENTICATED,
        ErrorCode.FORBIDDEN,
        ErrorCode.QUERY_TOO_COSTLY,
        ErrorCode.PERSISTED_QUERY_NOT_FOUND,
    }
)


def error_level(error: object) -> int | None:
    """The level `error` is logged at; None when it is logged elsewhere (INTERNAL)."""
    if not isinstance(error, GraphQLError):
        return logging.ERROR
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return logging.INFO  # parse, validation, variable coercion: the document's mistakes
    if isinstance(original, GatewayError):
        if original.code is ErrorCode.INTERNAL:
            return logging.ERROR
        return logging.INFO if original.code in CLIENT_CODES else logging.WARNING
    return None


def _one_line(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    if code is None and isinstance(error.original_error, GatewayError):
        code = error.original_error.code.value
    where = ".".join(map(str, error.path)) if error.path else "request"
    return f"{code or ErrorCode.BAD_USER_INPUT.value} at {where}: {error.message}"


class ErrorLevelFilter(logging.Filter):
    """See the module docstring."""

    def filter(self, record: logging.LogRecord) -> bool:
        level = error_level(record.msg)
        if level is None:
            return False
        if level < logging.ERROR and isinstance(record.msg, GraphQLError):
            record.levelno = level
            record.levelname = logging.getLevelName(level)
            record.exc_info = None
            record.exc_text = None
            record.msg, record.args = _one_line(record.msg), ()
        return record.levelno >= logging.getLogger(STRAWBERRY_LOGGER).getEffectiveLevel()


def install() -> None:
    """Attach the filter to Strawberry's execution logger (idempotent)."""
    logger = logging.getLogger(STRAWBERRY_LOGGER)
    if not any(isinstance(f, ErrorLevelFilter) for f in logger.filters):
        logger.addFilter(ErrorLevelFilter())
