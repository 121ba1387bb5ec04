"""Push hints, cloud-neutral: what a status-change event says, and what a cloud that publishes
them gives the push consumer (`Cloud.events`).

An event is a hint, never data: it names a run that may have changed, and the gateway reads
that run fresh (as a poll would) before telling anyone anything. So a cloud's parser keeps only
what routes the hint (account, region, run id) and refuses anything that does not look like its
envelope. The catalogue implements `RunRefresher` to refresh a run on a hint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from gateway.types import ProviderKind


def watch_key(type_name: str, source: str, native: str) -> tuple[str, str, str]:
    """The hub's key of a watched object: its GraphQL type, source name and native id."""
    return (type_name, source, native)


@dataclass(frozen=True)
class StatusHint:
    """What one envelope says: run `run_id` in `account`/`region` may now be `status`."""

    account: str
    region: str
    run_id: str
    status: str
    detail_type: str
    time: str | None = None


@dataclass(frozen=True)
class CloudEvents:
    """What the push consumer needs of a cloud whose status changes arrive on a queue.

    `parse` reads one message body (None: not this cloud's envelope); a hint wakes the hub's
    watchers of `run_type` (and of `batch_type` for the batch named by `batch_field` in the
    run's cached `run_read` record) after forgetting those cached records.
    """

    kind: ProviderKind
    parse: Callable[[str | bytes], StatusHint | None]
    run_type: str
    batch_type: str
    run_read: str
    batch_read: str
    batch_field: str


class RunRefresher(Protocol):
    """The catalogue's refresh entry point: read this run now."""

    async def refresh_run(self, source: str, run_id: str, status: str | None) -> None: ...
