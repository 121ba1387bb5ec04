"""JSON logs, one object per line, each carrying the request id of the request that logged it.

The same id is the `X-Request-Id` response header and every error's `extensions.requestId`,
so a client's report leads straight to the log lines.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from gateway.config import ObservabilityConfig
from gateway.observability import hooks

_FIELDS = "{asctime}{levelname}{name}{message}"
_TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps each record with the bound request's id ("-" outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)  # uvicorn's ANSI copy of the message
        if not hasattr(record, "request_id"):
            record.request_id = hooks.current().request_id
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        _FIELDS,
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure_logging(config: ObservabilityConfig, stream: TextIO | None = None) -> None:
    """Replace the root handlers with one that writes `config.log_format` lines to `stream`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    if config.log_format == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter(_TEXT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(config.log_level)
    # uvicorn may have installed its own handlers (an embedded server did): ours format all.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True
