"""How loud each error is: client mistakes at INFO, upstream trouble at WARNING (both without a
traceback, on one line), INTERNAL left to the error policy's one ERROR line with its traceback."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError

from gateway.errors import ErrorCode, GatewayError
from gateway.policy import errorlog
from gateway.policy.errors import shape_error


def _logged(error: GraphQLError, caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    errorlog.install()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger(errorlog.STRAWBERRY_LOGGER).error(
                error, exc_info=error.original_error
            )
    return list(caplog.records)


def _error(original: Exception | None) -> GraphQLError:
    return GraphQLError("msg", path=["runs"], original_error=original)


@pytest.mark.parametrize(
    ("original", "level"),
    [
        (GatewayError("no such run", ErrorCode.NOT_FOUND), logging.INFO),
        (GatewayError("bad id", ErrorCode.BAD_USER_INPUT), logging.INFO),
        (GatewayError("slow down", ErrorCode.THROTTLED), logging.WARNING),
        (GatewayError("down", ErrorCode.UPSTREAM_UNAVAILABLE), logging.WARNING),
        (None, logging.INFO),
    ],
)
def test_typed_and_document_errors_are_one_quiet_line(
    original: Exception | None, level: int, caplog: pytest.LogCaptureFixture
) -> None:
    [record] = _logged(_error(original), caplog)
    assert record.levelno == level
    assert record.exc_info is None and "\n" not in record.getMessage()
    assert record.getMessage().startswith(
        (original.code.value if isinstance(original, GatewayError) else "BAD_USER_INPUT")
        + " at runs:"
    )


def test_internal_is_logged_once_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    error = _error(RuntimeError("a bug"))
    assert _logged(error, caplog) == []  # Strawberry's copy is dropped …
    with caplog.at_level(logging.INFO):
        shaped = shape_error(error, "req-1")
    assert (shaped.extensions or {})["code"] == "INTERNAL"
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None and "req-1" in record.getMessage()  # … ours has it
