"""The one error table: every GraphQL error's `extensions.code`, from any layer.

Like `gateway.types`, this imports nothing of ours, so every layer may raise these.
"""

from __future__ import annotations

import enum
from typing import Any, Protocol


class _Named(Protocol):
    """A provider kind as errors name it (its GraphQL enum name); see `gateway.types`."""

    @property
    def name(self) -> str: ...


class ErrorCode(enum.StrEnum):
    """The one error table every GraphQL error's `extensions.code` comes from."""

    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    THROTTLED = "THROTTLED"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"
    CURSOR_EXPIRED = "CURSOR_EXPIRED"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    INTERNAL = "INTERNAL"


class GatewayError(Exception):
    """An error the client is meant to see, with its code and whatever context is known.

    `extensions` is read by graphql-core when the error reaches a field, so raising one from
    any layer puts the code on the right path of the response.
    """

    def __init__(
        self,
        message: str,
        code: ErrorCode,
        *,
        source: str | None = None,
        provider: _Named | None = None,
        upstream_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.source = source
        self.provider = provider
        self.upstream_code = upstream_code
        self.request_id = request_id

    @property
    def extensions(self) -> dict[str, Any]:
        ext: dict[str, Any] = {"code": self.code.value}
        if self.source is not None:
            ext["source"] = self.source
        if self.provider is not None:
            ext["provider"] = self.provider.name
        if self.upstream_code is not None:
            ext["upstreamCode"] = self.upstream_code
        if self.request_id is not None:
            ext["requestId"] = self.request_id
        return ext


class UpstreamError(GatewayError):
    """An upstream call failed; `code` says how the client should read it."""


def bad_input(message: str) -> GatewayError:
    """Bad client input: answered before any upstream call."""
    return GatewayError(message, ErrorCode.BAD_USER_INPUT)
