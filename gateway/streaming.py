"""Streamed answers (`@defer`/`@stream` patches, GraphQL over SSE) under the ordinary policies.

Strawberry serves incremental answers as multipart/mixed (or as SSE events when the client
asks for `text/event-stream`) and graphql-sse's distinct-connections mode; it hands the
patches after the first part through unshaped and outside the operation's extensions. This
view mixin shapes every patch's errors like any other error, keeps the operation's upstream
call budget (and deadline) around the deferred work, and writes the audit line's complement
once the last patch has left. Patches that are ready together leave together: one multipart
part (or SSE event) carries several `incremental` entries, as graphql-js 17's format allows, so
a streamed list pays per burst of ready items, not per item. graphql-transport-ws cannot carry
patches: there an incremental operation is refused with a coded error instead of hanging or
losing parts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any

import orjson
from graphql import (
    GraphQLError,
    IncrementalStreamResult,
    SubsequentIncrementalExecutionResult,
)
from strawberry.http.streaming import HTTPStreamTransport, SSETransport
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

from gateway.config import Settings
from gateway.errors import ErrorCode
from gateway.guards import restore_budget
from gateway.policy.errors import shape_error
from gateway.policy.incremental import is_incremental, patch_errors

audit_log = logging.getLogger("gateway.audit")

#: A patch waits this long for the next one to be ready before it leaves on its own: items
#: finishing together (a burst of task pages answering) share one part.
COALESCE_SECONDS = 0.005
#: … but no part is held back longer than this, nor carries more patches than this.
COALESCE_MAX_SECONDS = 0.05
COALESCE_MAX_PATCHES = 200


def sse_transport(heartbeat_seconds: float) -> type[SSETransport]:
    """Strawberry's SSE transport with our heartbeat interval (it builds transports bare)."""

    class GatewaySSE(SSETransport):
        def __init__(self, heartbeat_interval: float = heartbeat_seconds) -> None:
            super().__init__(heartbeat_interval)

    return GatewaySSE


def stream_transports(settings: Settings) -> Mapping[str, type[HTTPStreamTransport]]:
    """graphql-sse beside WebSocket when `[graphql] sse` (no multipart subscriptions)."""
    if not settings.graphql.sse:
        return {}
    return {GRAPHQL_SSE_PROTOCOL: sse_transport(settings.graphql.sse_heartbeat_seconds)}


def _shape(frame: SubsequentIncrementalExecutionResult, context: Any, suggestions: bool) -> None:
    request_id = getattr(context, "request_id", "-")
    for errors in patch_errors(frame):
        errors[:] = [shape_error(e, request_id, suggestions) for e in errors]


def _audit_patches(context: Any, patches: int, codes: set[str]) -> None:
    """The deferred parts' share of the operation: its id, their calls and error codes."""
    budget = getattr(context, "budget", None)
    line = {
        "requestId": getattr(context, "request_id", "-"),
        "principal": context.principal.subject,
        "incremental": True,
        "patches": patches,
        "sources": sorted(budget.calls) if budget is not None else [],
        "upstreamCalls": budget.total if budget is not None else 0,
        "outcome": "partial" if codes else "ok",
        "errorCodes": sorted(codes),
    }
    audit_log.info(orjson.dumps(line).decode())


def merge_patches(
    frames: list[SubsequentIncrementalExecutionResult],
) -> SubsequentIncrementalExecutionResult:
    """One payload saying what `frames` say in turn: their pending, incremental and completed
    entries in order (consecutive items of one stream joined into one entry), the last hasNext.
    """
    if len(frames) == 1:
        return frames[0]
    pending: list[Any] = []
    incremental: list[Any] = []
    completed: list[Any] = []
    for frame in frames:
        pending.extend(frame.pending or ())
        for part in frame.incremental or ():
            last = incremental[-1] if incremental else None
            if (
                isinstance(part, IncrementalStreamResult)
                and isinstance(last, IncrementalStreamResult)
                and (last.id, last.sub_path) == (part.id, part.sub_path)
                and last.extensions is None
                and part.extensions is None
            ):
                errors = (last.errors or []) + (part.errors or [])
                part = IncrementalStreamResult(
                    last.items + part.items, last.id, last.sub_path, errors or None
                )
                incremental[-1] = part
                continue
            incremental.append(part)
        completed.extend(frame.completed or ())
    return SubsequentIncrementalExecutionResult(
        has_next=frames[-1].has_next,
        pending=pending,
        incremental=incremental or None,
        completed=completed or None,
    )


async def _step(frames: AsyncIterator[Any]) -> tuple[bool, Any]:
    try:
        return True, await anext(frames)
    except StopAsyncIteration:
        return False, None


async def guard_patches(
    frames: AsyncIterator[Any], context: Any, suggestions: bool
) -> AsyncGenerator[Any, None]:
    """`frames` with ready patches merged, every patch shaped, deferred work inside the
    operation's budget, and one audit line after the last patch."""
    patches = 0
    codes: set[str] = set()
    budget = getattr(context, "budget", None)
    loop = asyncio.get_running_loop()
    ahead: asyncio.Task[tuple[bool, Any]] | None = None

    def read_ahead() -> asyncio.Task[tuple[bool, Any]]:
        # The task copies the context here: deferred reads stay inside the operation's budget.
        with restore_budget(budget):
            return asyncio.ensure_future(_step(frames))

    try:
        more = True
        while more:
            more, frame = await (ahead or read_ahead())
            ahead = None
            if not more:
                return
            if not isinstance(frame, SubsequentIncrementalExecutionResult):
                yield frame
                continue
            ready = [frame]
            deadline = loop.time() + COALESCE_MAX_SECONDS
            while ready[-1].has_next and len(ready) < COALESCE_MAX_PATCHES:
                ahead = read_ahead()
                wait = min(COALESCE_SECONDS, deadline - loop.time())
                done, _ = await asyncio.wait({ahead}, timeout=max(wait, 0))
                if not done:
                    break  # the next patch is not ready: this part leaves now
                more, frame = ahead.result()
                ahead = None
                if not more:
                    break
                ready.append(frame)
            merged = merge_patches(ready)
            patches += 1
            _shape(merged, context, suggestions)
            for errors in patch_errors(merged):
                codes.update(str((e.extensions or {}).get("code")) for e in errors)
            yield merged
    finally:
        if ahead is not None:
            ahead.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await ahead
        if patches:
            _audit_patches(context, patches, codes)
        aclose = getattr(frames, "aclose", None)
        if aclose is not None:
            await aclose()


def wrap_incremental(result: Any, context: Any, suggestions: bool) -> Any:
    """An incremental container whose patches go through `guard_patches`."""
    if not is_incremental(result):
        return result
    return result._replace(
        subsequent_results=guard_patches(result.subsequent_results, context, suggestions)
    )


class GatewayTransportWS(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws has no frame for patches: an incremental operation gets a coded
    `error` message (Strawberry's own refusal carries no code)."""

    async def _reject_incremental_delivery(self, operation: Operation[Any, None]) -> None:
        error = GraphQLError(
            "@defer and @stream are served over HTTP (multipart/mixed or text/event-stream), "
            "not over graphql-transport-ws",
            extensions={"code": ErrorCode.BAD_USER_INPUT.value},
        )
        await operation.send_initial_errors([error])
