"""HealthOmics logs over CloudWatch Logs (`logs`): the task, engine, run and manifest streams.

A stream is a listing paged by GetLogEvents' own forward tokens. CloudWatch never says "done":
the end of a stream is where it hands back the token it was given, and pages may be empty
mid-stream (not the end). `contains` searches with FilterLogEvents, whose filter patterns match
terms, not substrings, so the text is sent as one quoted phrase (a double quote inside it is
refused). An expired or foreign token (InvalidParameterException on a paged call) is
CURSOR_EXPIRED.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from gateway.clouds.aws.wire import AwsProvider, validate
from gateway.clouds.healthomics.states import KIND
from gateway.errors import ErrorCode, UpstreamError, bad_input
from gateway.types import Listing, Page, PageRef, Record

SERVICE = "logs"
GROUP = "/aws/omics/WorkflowLog"
#: Lines per upstream page behind a connection; GetLogEvents allows 10,000 for whole reads.
CURSOR_PAGE = 100
WHOLE_PAGE = 10_000
#: One GetLogEvents call reads this far back from a failed task's end.
EXCERPT_SCAN = 200


def task_stream(run_id: str, task_id: str) -> str:
    return f"run/{run_id}/task/{task_id}"


def stream_of_arn(arn: str | None) -> str | None:
    """The stream name inside GetRunTask's `logStream` ARN (None when it is not one)."""
    if not arn or ":log-stream:" not in arn:
        return None
    return arn.split(":log-stream:", 1)[1]


def _ms(when: datetime | None) -> int | None:
    return None if when is None else int(when.timestamp() * 1000)


class WorkflowLogs(AwsProvider):
    """One source's `/aws/omics/WorkflowLog` group: streams as listings, plus one-call tails."""

    kind = KIND
    service = SERVICE

    def stream(
        self,
        stream: str,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        max_page: int = CURSOR_PAGE,
    ) -> Listing:
        """A stream, oldest line first, optionally within [since, until). Cursors hold a page
        size of at most 255, so connections page by 100; whole reads may ask for more."""
        params = {
            "logGroupName": GROUP,
            "logStreamName": stream,
            "startTime": _ms(since),
            "endTime": _ms(until),
        }
        kept = {k: v for k, v in params.items() if v is not None}
        validate(SERVICE, "GetLogEvents", kept)
        return Listing(
            "GetLogEvents", tuple(sorted(kept.items())), parent=stream, max_page=max_page
        )

    def search(
        self,
        stream: str,
        contains: str,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Listing:
        """The stream's lines holding `contains` as a phrase (FilterLogEvents)."""
        if not contains.strip():
            raise bad_input("`contains` must not be blank")
        if '"' in contains or "\\" in contains:
            raise bad_input("`contains` may not hold a double quote or a backslash")
        params = {
            "logGroupName": GROUP,
            "logStreamNames": (stream,),
            "filterPattern": f'"{contains}"',
            "startTime": _ms(since),
            "endTime": _ms(until),
        }
        kept = {k: v for k, v in params.items() if v is not None}
        validate(
            SERVICE, "FilterLogEvents", {k: v for k, v in kept.items() if k != "logStreamNames"}
        )
        return Listing(
            "FilterLogEvents", tuple(sorted(kept.items())), parent=stream, max_page=CURSOR_PAGE
        )

    def item_key(self, listing: Listing, item: Record) -> str:
        if listing.operation == "FilterLogEvents":
            return str(item["eventId"])
        digest = hashlib.blake2b(str(item.get("message")).encode(), digest_size=6).hexdigest()
        return f"{item.get('timestamp')}:{item.get('ingestionTime')}:{digest}"

    async def fetch_page(self, listing: Listing, ref: PageRef, size: int) -> Page:
        kwargs: dict[str, Any] = dict(listing.params)
        if listing.operation == "FilterLogEvents":
            kwargs["logStreamNames"] = list(kwargs["logStreamNames"])
            kwargs["limit"] = size
            if ref is not None:
                kwargs["nextToken"] = ref
            response = await self._call("FilterLogEvents", "filter_log_events", kwargs, ref)
            return Page(response.get("events", []), response.get("nextToken"))
        kwargs.update(startFromHead=True, limit=size)
        if ref is not None:
            kwargs["nextToken"] = ref
        response = await self._call("GetLogEvents", "get_log_events", kwargs, ref)
        following = response.get("nextForwardToken")
        # The same token back is CloudWatch's only "end of stream".
        return Page(response.get("events", []), None if following in (None, ref) else following)

    async def tail(self, stream: str, lines: int = EXCERPT_SCAN) -> list[Record]:
        """The last `lines` events of a stream in one call (startFromHead false)."""
        kwargs = {"logGroupName": GROUP, "logStreamName": stream, "limit": lines}
        response = await self._call("GetLogEvents", "get_log_events", kwargs, None)
        events: list[Record] = response.get("events", [])
        return events

    async def _call(
        self, operation: str, method: str, kwargs: dict[str, Any], ref: PageRef
    ) -> dict[str, Any]:
        async def invoke(client: Any) -> dict[str, Any]:
            result: dict[str, Any] = await getattr(client, method)(**kwargs)
            return result

        try:
            return await self.wire.call(operation, invoke, paging=ref is not None)
        except UpstreamError as exc:
            if ref is not None and exc.upstream_code == "InvalidParameterException":
                raise UpstreamError(
                    "upstream no longer accepts this cursor (log tokens live 24 hours)",
                    ErrorCode.CURSOR_EXPIRED,
                    source=exc.source,
                    provider=exc.provider,
                    upstream_code=exc.upstream_code,
                    request_id=exc.request_id,
                ) from None
            raise
