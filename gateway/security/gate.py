"""The HTTP gate in front of /graphql: body size, then credentials, before any GraphQL parsing.

A request with no or a bad credential, or a body over `[graphql] max_body_bytes`, is answered
here with a GraphQL-shaped error body and never reaches the parser. WebSocket connections pass
through: their credential comes in `connection_init` (see `GatewayGraphQL.on_ws_connect`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from starlette.datastructures import Headers

from gateway.errors import ErrorCode, GatewayError
from gateway.security.auth import Authenticator, credential_from_headers

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PRINCIPAL_KEY = "gateway.principal"


async def _reply(send: Send, status: int, message: str, code: ErrorCode, **extensions: Any) -> None:
    body = orjson.dumps(
        {"errors": [{"message": message, "extensions": {"code": code.value, **extensions}}]}
    )
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="runs-gateway"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class GraphQLGate:
    """ASGI middleware for `path`: size limit and authentication of HTTP requests."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        *,
        path: str = "/graphql",
        max_body_bytes: int,
        ide_enabled: bool,
        on_refused: Callable[[str, str, str], None] = lambda request_id, reason, code: None,
    ) -> None:
        #: Told of each refusal (request id, reason, code): the audit log, handed in by the app.
        self.on_refused = on_refused
        self.app = app
        self.authenticator = authenticator
        self.path = path
        self.max_body_bytes = max_body_bytes
        self.ide_enabled = ide_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        body, too_large = await self._read_body(headers, receive)
        if too_large:
            self.on_refused(uuid.uuid4().hex, "request body too large", ErrorCode.QUERY_TOO_COSTLY)
            await _reply(
                send,
                413,
                "request body too large",
                ErrorCode.QUERY_TOO_COSTLY,
                limits={"bodyBytes": self.max_body_bytes},
            )
            return
        if self.authenticator.required and not self._is_ide_page(scope, headers):
            try:
                principal = await self.authenticator.authenticate(
                    credential_from_headers(dict(headers.items()))
                )
            except GatewayError as exc:
                self.on_refused(uuid.uuid4().hex, exc.message, exc.code)
                await _reply(send, 401, exc.message, ErrorCode.UNAUTHENTICATED)
                return
            scope[PRINCIPAL_KEY] = principal

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # only http.disconnect can follow

        await self.app(scope, replay, send)

    def _is_ide_page(self, scope: Scope, headers: Headers) -> bool:
        """GraphiQL's HTML page holds no data, and browsers cannot add headers to navigation."""
        return (
            self.ide_enabled
            and scope["method"] == "GET"
            and b"query=" not in scope.get("query_string", b"")
            and "text/html" in headers.get("accept", "")
        )

    async def _read_body(self, headers: Headers, receive: Receive) -> tuple[bytes, bool]:
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return b"", True
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), False
