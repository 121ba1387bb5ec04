"""A minimal graphql-transport-ws client over a real WebSocket, for end-to-end tests.

Written from the protocol (github.com/enisdenjo/graphql-ws PROTOCOL.md) so the tests see
exactly the messages a browser's graphql-ws client would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"


class GraphQLWS:
    """One connection; messages of every operation, in arrival order (pings answered)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = 0

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, url: str, payload: dict[str, Any] | None = None
    ) -> AsyncIterator[GraphQLWS]:
        async with connect(url, subprotocols=[PROTOCOL], open_timeout=10) as ws:  # type: ignore[list-item]
            assert ws.subprotocol == PROTOCOL
            await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
            frame = await asyncio.wait_for(ws.recv(), 10)
            assert isinstance(frame, str), "graphql-transport-ws messages are text frames"
            ack = json.loads(frame)
            assert ack["type"] == "connection_ack", ack
            yield cls(ws)

    async def subscribe(self, query: str, **variables: Any) -> str:
        self._ids += 1
        op = str(self._ids)
        payload = {"query": query, "variables": variables}
        await self.ws.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))
        return op

    async def complete(self, op: str) -> None:
        await self.ws.send(json.dumps({"id": op, "type": "complete"}))

    async def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next `next` / `error` / `complete` message."""
        while True:
            frame = await asyncio.wait_for(self.ws.recv(), timeout)
            assert isinstance(frame, str), "graphql-transport-ws messages are text frames"
            message: dict[str, Any] = json.loads(frame)
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] == "pong":
                continue
            return message

    async def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """Whatever arrives within `seconds` (normally nothing)."""
        got = []
        try:
            while True:
                got.append(await self.receive(timeout=seconds))
        except TimeoutError:
            return got
