"""Tencent Cloud Omics: run groups, runs and call trees over the official async SDK client.

Records are the API's own (PascalCase keys, JSON text and time strings untouched). Listings are
offset paged (`Offset`/`Limit`, `TotalCount`); GetRunCalls is unpaged upstream, so the gateway
pages one cached answer per (run, path) with the same cursors and the same law.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from gateway.cache.backend import MemoryBackend
from gateway.cache.upstream import UpstreamCache
from gateway.clouds.tencent.states import KIND
from gateway.clouds.tencent.wire import TencentWire
from gateway.config import CacheConfig
from gateway.errors import ErrorCode, UpstreamError, bad_input
from gateway.types import Listing, Page, PageRef, Record

MAX_LIMIT = 100
#: How often an empty page is asked again while TotalCount says more items follow.
EMPTY_PAGE_RETRIES = 3

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_GROUP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_STATUS = re.compile(r"^[A-Za-z_]{1,32}$")
_SEGMENT = re.compile(r"^([A-Za-z0-9_.\-]+)(?::(0|[1-9][0-9]{0,5}))?$")
_NAME_MAX = 128

_ITEMS = {"DescribeRuns": "Runs", "DescribeRunGroups": "RunGroups"}


def validate_run_uuid(run_uuid: str) -> None:
    """Raise BAD_USER_INPUT unless `run_uuid` is a RunUuid (a UUID); no upstream call."""
    if not _UUID.fullmatch(run_uuid):
        raise bad_input(f"`{run_uuid}` is not a Tencent RunUuid (a UUID)")


def validate_run_group_id(run_group_id: str) -> None:
    """Tencent documents no pattern; refuse only what no id can be (no upstream call)."""
    if not _GROUP_ID.fullmatch(run_group_id):
        raise bad_input(f"`{run_group_id}` is not a Tencent RunGroupId")


def validate_path(path: str) -> None:
    """DESIGN's call path: `/` or `/<CallName>[:<ScatterIndex>]/…`."""
    if path == "/":
        return
    if not path.startswith("/") or not all(_SEGMENT.fullmatch(p) for p in path[1:].split("/")):
        raise bad_input(f"`{path}` is not a call path (`/<CallName>[:<ScatterIndex>]/…`)")


def _validate_status(status: str | None) -> None:
    if status is not None and not _STATUS.fullmatch(status):
        raise bad_input(f"`{status}` is not a Tencent status value")


def call_segment(call: Record) -> str:
    """A call's path segment: `<CallName>` or `<CallName>:<ScatterIndex>`."""
    index = call.get("ScatterIndex") or ""
    return f"{call['CallName']}:{index}" if index != "" else str(call["CallName"])


def child_path(parent: str, call: Record) -> str:
    """The path of `call` listed at `parent` (`/` + segment at the top level)."""
    return ("" if parent == "/" else parent) + "/" + call_segment(call)


def split_call_key(key: str) -> tuple[str, str]:
    """`<RunUuid><path>` → (RunUuid, path); BAD_USER_INPUT when malformed."""
    run_uuid, path = key[:36], key[36:]
    validate_run_uuid(run_uuid)
    if path in ("", "/"):
        raise bad_input("a call id needs a call path below `/`")
    validate_path(path)
    return run_uuid, path


def parent_path(path: str) -> str:
    """Where a call is listed: its path without the last segment."""
    head = path.rsplit("/", 1)[0]
    return head or "/"


def _filters(**values: Sequence[str] | str | None) -> list[dict[str, Any]]:
    out = []
    for name, value in values.items():
        if value is None:
            continue
        out.append({"Name": name, "Values": [value] if isinstance(value, str) else list(value)})
    return out


class TencentOmicsProvider:
    """One Tencent Cloud account + region (+ optional project)."""

    kind = KIND

    def __init__(
        self,
        wire: TencentWire,
        cache: UpstreamCache | None = None,
        calls_ttl_seconds: float = CacheConfig().page_ttl_seconds,
    ) -> None:
        config = wire.config
        self.name = config.name
        self.config = config
        self.wire = wire
        # GetRunCalls is unpaged upstream: one answer per (run, path), sliced into pages here,
        # kept in the app's shared upstream cache (Redis when scaled out) under this source's
        # config fingerprint, like every other upstream result.
        self._calls = cache or UpstreamCache(MemoryBackend(1_000, 64 * 1024 * 1024))
        fingerprint = hashlib.blake2b(config.model_dump_json().encode(), digest_size=4)
        self._calls_key = f"tencent-calls\x1f{config.name}\x1f{fingerprint.hexdigest()}"
        self._calls_ttl = calls_ttl_seconds

    def _base(self) -> dict[str, Any]:
        return {"ProjectId": self.config.project_id} if self.config.project_id else {}

    # -- listings -----------------------------------------------------------------------------

    def run_groups(
        self, status: str | None = None, name: str | None = None, run_group_id: str | None = None
    ) -> Listing:
        _validate_status(status)
        if name is not None and not 1 <= len(name) <= _NAME_MAX:
            raise bad_input(f"`name` must be 1..{_NAME_MAX} characters")
        if run_group_id is not None:
            validate_run_group_id(run_group_id)
        filters = _filters(Name=name, RunGroupId=run_group_id, Status=status)
        return self._listing("DescribeRunGroups", filters, parent="")

    def runs(
        self,
        run_group_id: str | None = None,
        status: str | None = None,
        user_defined_id: str | None = None,
    ) -> Listing:
        _validate_status(status)
        if run_group_id is not None:
            validate_run_group_id(run_group_id)
        if user_defined_id is not None and not 1 <= len(user_defined_id) <= _NAME_MAX:
            raise bad_input(f"`name` must be 1..{_NAME_MAX} characters")
        filters = _filters(RunGroupId=run_group_id, Status=status, UserDefinedId=user_defined_id)
        return self._listing("DescribeRuns", filters, parent=run_group_id or "")

    def calls(self, run_uuid: str, path: str = "/") -> Listing:
        validate_run_uuid(run_uuid)
        validate_path(path)
        params = (("Path", path), ("RunUuid", run_uuid))
        return Listing(
            "GetRunCalls", params, parent=f"{run_uuid}{path}", max_page=MAX_LIMIT, offset_paged=True
        )

    def _listing(self, operation: str, filters: list[dict[str, Any]], parent: str) -> Listing:
        frozen = tuple((f["Name"], tuple(f["Values"])) for f in filters)
        return Listing(
            operation, (("Filters", frozen),), parent=parent, max_page=MAX_LIMIT, offset_paged=True
        )

    def item_key(self, listing: Listing, item: Record) -> str:
        if listing.operation == "DescribeRunGroups":
            return str(item["RunGroupId"])
        if listing.operation == "GetRunCalls":
            return call_segment(item)
        return str(item["RunUuid"])

    async def fetch_page(self, listing: Listing, ref: PageRef, size: int) -> Page:
        offset = int(ref or 0)
        if listing.operation == "GetRunCalls":
            kw = listing.kwargs
            calls = await self.get_run_calls(kw["RunUuid"], kw["Path"])
            end = min(len(calls), offset + size)
            return Page(calls[offset:end], end if end < len(calls) else None, len(calls))
        frozen = listing.kwargs.get("Filters", ())
        filters = [{"Name": n, "Values": list(v)} for n, v in frozen]
        return await self._describe(listing.operation, filters, offset, size)

    async def _describe(
        self, operation: str, filters: list[dict[str, Any]], offset: int, size: int
    ) -> Page:
        """One page; an empty page while TotalCount says more remain is asked again (bounded),
        since a cached empty page would otherwise stall every walk over it."""
        params = {**self._base(), "Offset": offset, "Limit": min(size, MAX_LIMIT)}
        if filters:
            params["Filters"] = filters
        for _ in range(EMPTY_PAGE_RETRIES + 1):
            response = await self.wire.call(operation, params)
            items = response.get(_ITEMS[operation]) or []
            total = int(response.get("TotalCount") or 0)
            if items or offset >= total:
                end = offset + len(items)
                return Page(items, end if end < total else None, total)
        raise UpstreamError(
            "upstream keeps answering empty pages before the end of the listing",
            ErrorCode.UPSTREAM_UNAVAILABLE,
            source=self.name,
            provider=self.kind,
        )

    # -- entities -----------------------------------------------------------------------------

    async def describe_runs(self, run_uuids: Sequence[str]) -> list[Record]:
        """Runs by RunUuid in one DescribeRuns (≤ 100 ids), walking on if pages come back short."""
        for u in run_uuids:
            validate_run_uuid(u)
        return await self._describe_all("DescribeRuns", _filters(RunUuid=run_uuids))

    async def describe_run_groups(self, run_group_ids: Sequence[str]) -> list[Record]:
        for g in run_group_ids:
            validate_run_group_id(g)
        return await self._describe_all("DescribeRunGroups", _filters(RunGroupId=run_group_ids))

    async def _describe_all(self, operation: str, filters: list[dict[str, Any]]) -> list[Record]:
        items: list[Record] = []
        offset: int | None = 0
        while offset is not None:
            page = await self._describe(operation, filters, offset, MAX_LIMIT)
            items.extend(page.items)
            offset = page.next_ref if isinstance(page.next_ref, int) else None
        return items

    async def get_run_status(self, run_uuid: str) -> Record:
        validate_run_uuid(run_uuid)
        response = await self.wire.call("GetRunStatus", {**self._base(), "RunUuid": run_uuid})
        metadata: Record = response.get("Metadata") or {}
        return metadata

    async def get_run_calls(self, run_uuid: str, path: str = "/") -> list[Record]:
        """One level of a run's calls, kept briefly so paging through it costs one call."""
        validate_run_uuid(run_uuid)
        validate_path(path)

        async def load() -> list[Record]:
            params = {**self._base(), "RunUuid": run_uuid, "Path": path}
            response = await self.wire.call("GetRunCalls", params)
            return list(response.get("Calls") or [])

        calls: list[Record] = await self._calls.get(
            f"{self._calls_key}\x1f{run_uuid}\x1f{path}", load, lambda _: self._calls_ttl
        )
        return calls

    async def aclose(self) -> None:
        await self.wire.aclose()
