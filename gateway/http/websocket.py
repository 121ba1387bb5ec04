"""WebSocket frames as the gateway sends and reads them (graphql-transport-ws, graphql-ws)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping

import orjson
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected

from gateway.security.body import code_ws_errors, ws_message_problem


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws speaks text frames; browsers' graphql-ws rejects binary ones, which
    Strawberry would send because our `encode_json` returns bytes. Messages are checked for shape
    before Strawberry reads them, and every error leaving carries a code (security/body.py)."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object]:
        async for message in super().iter_json(ignore_parsing_errors=ignore_parsing_errors):
            problem = ws_message_problem(message)
            if problem is None:
                yield message
            elif not ignore_parsing_errors:  # graphql-transport-ws: 4400 is its answer
                await self.close(4400, problem[:120])
                return
            elif isinstance(message, dict) and isinstance(message.get("id"), str):
                error = {"message": problem, "extensions": {"code": "BAD_USER_INPUT"}}
                await self.send_json({"type": "error", "id": message["id"], "payload": error})

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            coded = code_ws_errors(dict(message))
            await self.ws.send_text(orjson.dumps(coded).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
