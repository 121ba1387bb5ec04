"""Request-level failures (the request never reached execution) as GraphQL-shaped JSON, and the
HTTP status a finished result is served with.

A request error carries `extensions.code` like every other error: `BAD_USER_INPUT` for every
client mistake, with the HTTP status saying which kind (400 malformed, 405 wrong method, 415
wrong content type). Nothing here is ever a 5xx: those are the server's own faults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cross_web import HTTPException

from gateway.errors import ErrorCode
from gateway.http.negotiation import Media

#: The status a graphql-response+json answer without `data` gets, by its first error's code.
_STATUS_BY_CODE: Mapping[str, int] = {
    ErrorCode.BAD_USER_INPUT.value: 400,
    ErrorCode.QUERY_TOO_COSTLY.value: 400,
    ErrorCode.PERSISTED_QUERY_NOT_FOUND.value: 400,
    ErrorCode.CURSOR_EXPIRED.value: 400,
    ErrorCode.UNAUTHENTICATED.value: 401,
    ErrorCode.FORBIDDEN.value: 403,
    ErrorCode.NOT_FOUND.value: 404,
    ErrorCode.THROTTLED.value: 429,
    ErrorCode.UPSTREAM_UNAVAILABLE.value: 502,
    ErrorCode.UPSTREAM_TIMEOUT.value: 504,
    ErrorCode.INTERNAL.value: 500,
}


class RequestError(HTTPException):
    """A request refused before execution: its status, message, code and response headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: ErrorCode = ErrorCode.BAD_USER_INPUT,
        headers: Mapping[str, str] | None = None,
        graphql: bool = False,
    ) -> None:
        super().__init__(status, message)
        self.code = code
        self.headers = dict(headers or {})
        #: A GraphQL request error of a well-formed request (unknown operation, subscription
        #: over HTTP): served 200 under application/json, its status under graphql-response+json.
        self.graphql = graphql


def error_body(message: str, code: ErrorCode, request_id: str | None) -> dict[str, object]:
    """The spec's response shape for a request error: `errors` only, never `data`."""
    extensions: dict[str, object] = {"code": code.value}
    if request_id:
        extensions["requestId"] = request_id
    return {"errors": [{"message": message, "extensions": extensions}]}


def result_status(media: Media, body: Mapping[str, object]) -> int:
    """200 for every executed request; under graphql-response+json a request error (no `data`
    entry) gets the 4xx its code names, as the spec requires (application/json keeps 200)."""
    if media is not Media.GRAPHQL_RESPONSE or "data" in body:
        return 200
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, Sequence) and errors else {}
    extensions = first.get("extensions") if isinstance(first, Mapping) else None
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    return _STATUS_BY_CODE.get(str(code), 400)
