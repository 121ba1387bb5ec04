"""Root Subscription: live runs and batches over graphql-transport-ws, polled through the hub.

Every poll resolves the watched object exactly as `Query.node` does, but with fresh loaders of
its own (the WebSocket's context lives as long as the connection, so its loader cache must never
answer a later event). Each event also carries those loaders, so the fields a subscriber selects
under the object (a run's tasks, a batch's runs) are read at the time of the event, once for
all subscribers of it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable
from dataclasses import dataclass
from typing import Any, cast

import orjson
import strawberry
from strawberry.types.base import StrawberryObjectDefinition

from gateway.errors import ErrorCode, GatewayError, bad_input
from gateway.graph.context import Context, Info
from gateway.graph.ids import parse_global_id
from gateway.graph.interfaces import Batch, Run
from gateway.live.hub import Snapshot
from gateway.schema.query import resolve_node
from gateway.security.auth import Principal, unauthenticated
from gateway.states import SETTLED_BATCH_STATES, SETTLED_RUN_STATES
from gateway.upstream.loaders import Loaders


@dataclass(frozen=True)
class _ProbeInfo:
    """What node resolution reads from `Info`: its schema, and a fresh context per poll."""

    context: Context
    schema: Any


@dataclass(frozen=True)
class _Event:
    obj: Any
    loaders: Loaders


def _run_fingerprint(run: Any) -> Hashable:
    return (run.status, run.state)


def _batch_fingerprint(batch: Any) -> Hashable:
    """Status and the upstream record's counts (runSummary etc.): what batch progress means."""
    detail = getattr(batch, "_detail", None)
    counts = orjson.dumps(detail, option=orjson.OPT_SORT_KEYS, default=str) if detail else b""
    return (batch.status, batch.state, batch.total_runs, counts)


def _check_kind(info: Info, type_name: str, kind: type, value: str) -> None:
    definition = info.schema.get_type_by_name(type_name)
    if not (
        isinstance(definition, StrawberryObjectDefinition) and issubclass(definition.origin, kind)
    ):
        raise bad_input(f"id {value!r} is not a {kind.__name__}")


async def _watch(
    info: Info,
    value: str,
    kind: type,
    settled: frozenset[Any],
    fingerprint: Callable[[Any], Hashable],
) -> AsyncIterator[Any]:
    """Validate without an upstream call, then follow the object through the shared poller."""
    type_name, source, native = parse_global_id(value)
    _check_kind(info, type_name, kind, value)
    context = info.context
    upstream = context.upstream
    upstream.authorize(source)  # FORBIDDEN for an ungranted source, existing or not
    if source not in upstream.providers:
        raise GatewayError("node not found", ErrorCode.NOT_FOUND)
    principal = context.principal
    principal.ensure_fresh()
    hub = context.hub
    if hub is None:
        raise GatewayError("subscriptions are not served here", ErrorCode.INTERNAL)

    async def probe() -> Snapshot[_Event]:
        loaders = Loaders(upstream, fresh=True)
        fresh = Context(upstream=upstream, loaders=loaders, request_id=context.request_id)
        obj: Any = await resolve_node(cast(Info, _ProbeInfo(fresh, info.schema)), value)
        return Snapshot(_Event(obj, loaders), fingerprint(obj), obj.state in settled)

    events = cast(AsyncGenerator[_Event, None], hub.watch((type_name, source, native), probe))
    while True:
        try:
            # A credential that expires ends the subscription then, not at the next change.
            async with asyncio.timeout_at(_deadline(principal)):
                event = await anext(events)
        except StopAsyncIteration:
            return
        except TimeoutError:
            await events.aclose()
            raise unauthenticated("the credential has expired") from None
        principal.ensure_fresh()
        # Fields selected under the object resolve through this event's loaders, never
        # through anything the connection cached for an earlier event.
        context.loaders = event.loaders
        yield event.obj


def _deadline(principal: Principal) -> float | None:
    """The event loop's time at which `principal` expires (None: never)."""
    if principal.expires_at is None:
        return None
    return asyncio.get_running_loop().time() + (principal.expires_at - time.time())


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="A run (by global id) each time its status changes, from its current "
        "one; completes once the run settles."
    )
    async def run_updated(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Run, None]:
        async for run in _watch(info, id, Run, SETTLED_RUN_STATES, _run_fingerprint):
            yield run

    @strawberry.subscription(
        description="A batch (by global id) each time its status or run counts change, from "
        "its current ones; completes once the batch settles."
    )
    async def batch_progress(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Batch, None]:
        async for batch in _watch(info, id, Batch, SETTLED_BATCH_STATES, _batch_fingerprint):
            yield batch
