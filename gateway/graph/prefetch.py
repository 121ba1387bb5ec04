"""A child connection's first read, started while its parent's own read is still in flight.

`batch(id:)` reads the batch (GetBatch) before its `runs` field can resolve, yet the runs
listing (ListRunsInBatch) needs only the id the client gave: resolving field by field makes
the two calls one after the other, and the first part of a streamed tree waits for both. When
the selection asks for the child field, the parent's resolver starts the child's read beside
its own; the child resolver later asks for the same page and joins that read (the page cache's
single-flight, or the request's page memo), so the answer and the upstream calls stay the same,
only sooner. The child resolver meets any failure again on its own path, so here it is only
consumed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterator
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from gateway.graph.context import Info
from gateway.graph.relay import PageArgs

log = logging.getLogger(__name__)

#: Reads started ahead, kept referenced until they end (asyncio holds tasks only weakly).
_RUNNING: set[asyncio.Task[Any]] = set()


def _fields(selections: list[Selection], name: str) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                yield selection
        elif isinstance(selection, InlineFragment | FragmentSpread):
            yield from _fields(selection.selections, name)


def selected_arguments(info: Info, name: str) -> list[dict[str, Any]]:
    """The arguments (GraphQL names, variables applied) of each `name` field selected right
    under the field being resolved, through fragments (typed ones included: a wasted read on
    another type's fragment costs what the child would have cost)."""
    found: list[dict[str, Any]] = []
    # A subscription's poll resolves nodes with a bare Info (no selection): nothing to start.
    for field in getattr(info, "selected_fields", ()):
        if isinstance(field, SelectedField):
            found.extend(f.arguments for f in _fields(field.selections, name))
    return found


def _count(value: Any) -> Any:
    # Strawberry hands literals as written (`first: 100` arrives as "100"), variables coerced.
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def page_args(arguments: dict[str, Any]) -> PageArgs:
    """Relay's arguments as the connection resolver receives them (absent = None); whatever is
    malformed is refused again, with its error, by the field itself."""
    return PageArgs(
        first=_count(arguments.get("first")),
        after=arguments.get("after"),
        last=_count(arguments.get("last")),
        before=arguments.get("before"),
    )


def _consumed(task: asyncio.Task[Any]) -> None:
    _RUNNING.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.debug("read ahead failed (its field reports it): %r", task.exception())


def read_ahead(work: Coroutine[Any, Any, Any]) -> None:
    """Run `work` now, beside the caller; whoever needs its result asks for it again."""
    task = asyncio.ensure_future(work)
    _RUNNING.add(task)
    task.add_done_callback(_consumed)
