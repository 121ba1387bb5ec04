"""Malformed input of every kind, refused before any parser sees it, always as a coded error.

Bodies, the GET parameters that carry JSON (`variables`, `extensions`) and WebSocket messages
are bounded in bytes and in JSON nesting *before* parsing (the stdlib parser recurses per level,
so a deeply nested body was a RecursionError, a 500), then decoded by orjson, which refuses
invalid UTF-8 and lone surrogates (`\\ud800` cannot be hashed, encoded or answered). Whatever a
framework below still answers with a plain-text 4xx (or an exception) leaves here as a GraphQL-
shaped JSON error with `extensions.code`: a client never meets an uncoded error. Messages quote
at most a short prefix of the offending input (`gateway.errors.quoted`).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import orjson

from gateway.errors import ErrorCode, GatewayError, quoted

log = logging.getLogger(__name__)

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]

#: Deepest JSON nesting a request may carry: variables of real queries need a handful.
DEFAULT_MAX_DEPTH = 64
#: GET parameters that hold JSON text.
JSON_PARAMS = ("variables", "extensions")

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class RequestRejected(GatewayError):
    """A request refused while decoding; `status` is the HTTP status it answers with."""

    def __init__(self, message: str, code: ErrorCode = ErrorCode.BAD_USER_INPUT, status: int = 400):
        super().__init__(message, code)
        self.status = status


def too_deep(raw: bytes, limit: int) -> bool:
    """True when the JSON text `raw` nests arrays/objects deeper than `limit` (strings, whose
    brackets do not count, are skipped by a C-speed regex; the walk stops at the first excess)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False  # cannot nest deeper than it has openings: the common case, no walk
    return any(d > limit for d in itertools.accumulate(_DEPTH_STEP[b] for b in brackets))


def decode_json(data: str | bytes, *, max_bytes: int, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Bounded, strict JSON decoding; RequestRejected names what is wrong (never the input)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise RequestRejected(
            f"JSON text of {len(raw)} bytes is over the limit of {max_bytes}",
            ErrorCode.QUERY_TOO_COSTLY,
            413,
        )
    if too_deep(raw, max_depth):
        raise RequestRejected(f"JSON nested deeper than {max_depth} levels")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestRejected(f"not valid JSON (UTF-8, no lone surrogates): {exc}") from None


class JsonGuard:
    """What the view's and the gate's JSON decoding share: the limits from `[graphql]`."""

    def __init__(self, max_bytes: int, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    def decode(self, data: str | bytes) -> Any:
        return decode_json(data, max_bytes=self.max_bytes, max_depth=self.max_depth)

    def decode_for_framework(self, data: str | bytes) -> object:
        """For Strawberry's `decode_json` (HTTP bodies, WebSocket messages): the framework
        answers JSONDecodeError itself (400 over HTTP, close 4400 over graphql-transport-ws)."""
        try:
            return self.decode(data)
        except RequestRejected as exc:
            raise json.JSONDecodeError(exc.message, "", 0) from None

    def check_http(self, method: str, content_type: str, body: bytes, query_string: bytes) -> None:
        """Everything JSON a GraphQL HTTP request carries, decoded under the limits once."""
        params = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        for name, value in params:
            if name in JSON_PARAMS and value:
                try:
                    self.decode(value)
                except RequestRejected as exc:
                    message = f"`{name}`: {exc.message}"
                    raise RequestRejected(message, exc.code, exc.status) from None
        media = content_type.split(";", 1)[0].strip().lower()
        if method == "POST" and body and (media == "application/json" or media.endswith("+json")):
            decoded = self.decode(body)
            if not isinstance(decoded, dict | list):
                raise RequestRejected(
                    f"the body must be a JSON object, not {quoted(type(decoded).__name__)}"
                )
            if isinstance(decoded, dict):
                check_fields(decoded)


#: The GraphQL-over-HTTP request members and the JSON types each may have (null: absent).
_MEMBER_TYPES: dict[str, tuple[type, ...]] = {
    "query": (str,),
    "operationName": (str,),
    "variables": (dict,),
    "extensions": (dict,),
}


def check_fields(request: dict[str, Any]) -> None:
    """A request object's members have their JSON types (`operationName: 5` is refused here,
    not met as an int by whatever hashes the operation's name)."""
    for name, types in _MEMBER_TYPES.items():
        value = request.get(name)
        if value is not None and not isinstance(value, types):
            kind = "a string" if types == (str,) else "an object"
            raise RequestRejected(f"`{name}` must be {kind} or null")


def error_body(message: str, code: ErrorCode, **extensions: Any) -> bytes:
    return orjson.dumps(
        {"errors": [{"message": message, "extensions": {"code": code.value, **extensions}}]}
    )


#: What a framework's own error answers are: plain text (HTML pages, like GraphiQL's "assets
#: missing" page, are meant for browsers and pass as they are).
_PLAIN_MEDIA = (b"text/plain", b"")
_CODE_BY_STATUS = {
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    413: ErrorCode.QUERY_TOO_COSTLY,
    429: ErrorCode.THROTTLED,
}


def _json_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]


def code_for_status(status: int) -> ErrorCode:
    if status >= 500:
        return ErrorCode.INTERNAL
    return _CODE_BY_STATUS.get(status, ErrorCode.BAD_USER_INPUT)


class CodedErrors:
    """Wraps one response's `send`: a plain-text error the framework answers (Strawberry's
    "Unsupported content type", Starlette's 405) leaves as JSON with a code, its short text
    kept as the message. JSON answers (GraphQL results, our own refusals) and HTML pages pass
    untouched."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._held: Message | None = None
        self._chunks: list[bytes] = []
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            status = int(message["status"])
            headers = dict(message.get("headers") or [])
            media = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
            if status >= 400 and media in _PLAIN_MEDIA:
                self._held = message
                return
        elif message["type"] == "http.response.body" and self._held is not None:
            self._chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._rewrite(self._held, b"".join(self._chunks))
            return
        await self._send(message)

    async def _rewrite(self, start: Message, text: bytes) -> None:
        status = int(start["status"])
        reason = text.decode("utf-8", "replace").strip()[:200] or "bad request"
        body = error_body(reason, code_for_status(status))
        kept = [
            (k, v)
            for k, v in start.get("headers") or []
            if k.lower() not in (b"content-type", b"content-length")
        ]
        await self._send({**start, "headers": kept + _json_headers(body)})
        await self._send({"type": "http.response.body", "body": body})

    async def fail(self) -> None:
        """The app raised before answering: a coded INTERNAL error instead of a bare 500 page."""
        if self.started:
            return
        body = error_body("internal error", ErrorCode.INTERNAL)
        start = {"type": "http.response.start", "status": 500, "headers": _json_headers(body)}
        await self._send(start)
        await self._send({"type": "http.response.body", "body": body})


def code_ws_errors(message: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Every error a WebSocket message carries gets a code (Strawberry's "Subscription limit
    reached" comes without one, on both protocols); the message is changed in place."""
    if message.get("type") not in ("error", "connection_error"):
        return message
    payload = message.get("payload")
    errors = payload if isinstance(payload, list) else [payload]
    for error in errors:
        if isinstance(error, dict):
            extensions = error.setdefault("extensions", {})
            if isinstance(extensions, dict) and "code" not in extensions:
                limit = "limit" in str(error.get("message", "")).lower()
                code = ErrorCode.THROTTLED if limit else ErrorCode.BAD_USER_INPUT
                extensions["code"] = code.value
    return message


#: Message types whose payload is an operation, per protocol (graphql-transport-ws, graphql-ws).
_OPERATION_TYPES = ("subscribe", "start")
_ID_TYPES = ("subscribe", "start", "complete", "stop")


def ws_message_problem(message: object) -> str | None:
    """Why a decoded WebSocket message cannot be handled (None: it can). Strawberry indexes the
    message and its payload as it trusts them to be shaped; a shapeless one was a crash."""
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "a message needs a string `type`"
    if kind in _ID_TYPES and not isinstance(message.get("id"), str):
        return "an operation message needs a string `id`"
    if kind in ("connection_init", "ping", "pong"):
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            return "`payload` must be an object or null"
    if kind in _OPERATION_TYPES:
        payload = message.get("payload")
        if not isinstance(payload, dict):
            return "an operation message needs an object `payload`"
        if not isinstance(payload.get("query"), str):
            return "`payload.query` must be a string"
        try:
            check_fields(payload)
        except RequestRejected as exc:
            return f"payload: {exc.message}"
    return None
