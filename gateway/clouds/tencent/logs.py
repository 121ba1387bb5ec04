"""Tencent run logs as listings: a call's stdout/stderr (GetRunJobLog) and the engine's
`nextflow.log` (GetRunMetadataFile's signed COS URL, fetched at once and never handed out).

Both arrive whole, so the gateway pages the lines itself: one upstream answer per log, kept
briefly in-process (like GetRunCalls), sliced into offset pages under the usual cursors. The
signed URL is fetched only from the COS host of the source's region (or the configured
endpoint), streamed, and cut at `[logs] max_bytes` with a last line saying so.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from gateway.cache.upstream import UpstreamCache
from gateway.clouds.tencent.provider import validate_path, validate_run_uuid
from gateway.clouds.tencent.states import KIND
from gateway.clouds.tencent.wire import TencentWire
from gateway.config import LogsConfig, SourceConfig
from gateway.errors import ErrorCode, UpstreamError, bad_input
from gateway.types import Listing, Page, PageRef, Record

ENGINE_LOG = "nextflow.log"
PAGE = 100


def allowed_url(url: str, config: SourceConfig) -> bool:
    """A signed URL the gateway may fetch: COS in the source's region, or its own endpoint."""
    parts = urlsplit(url)
    if config.endpoint_url is not None:
        own = urlsplit(config.endpoint_url)
        if (parts.scheme, parts.netloc) == (own.scheme, own.netloc):
            return True
    host = parts.hostname or ""
    return parts.scheme == "https" and host.endswith(f".cos.{config.region}.myqcloud.com")


class TencentRunLogs:
    """One Tencent source's run logs, paged by line."""

    kind = KIND

    def __init__(
        self, wire: TencentWire, logs: LogsConfig, cache: UpstreamCache, key: str, ttl: float
    ) -> None:
        self.name = wire.config.name
        self.config = wire.config
        self.wire = wire
        self.max_bytes = logs.max_bytes
        self.timeout = wire.limits.upstream_timeout_seconds
        self._texts, self._key, self._ttl = cache, key, ttl

    def _base(self) -> dict[str, Any]:
        return {"ProjectId": self.config.project_id} if self.config.project_id else {}

    def job_log(self, run_uuid: str, path: str, job_id: str, log_type: str) -> Listing:
        """A task call's stdout or stderr; `path` is where GetRunCalls lists the call."""
        validate_run_uuid(run_uuid)
        validate_path(path)
        if not job_id:
            raise bad_input("this call has no job (a sub-workflow, or not started): no log")
        params = (("JobId", job_id), ("LogType", log_type), ("Path", path), ("RunUuid", run_uuid))
        return Listing(
            "GetRunJobLog", params, parent=f"{run_uuid}{path}", max_page=PAGE, offset_paged=True
        )

    def engine_log(self, run_uuid: str) -> Listing:
        validate_run_uuid(run_uuid)
        params = (("Key", ENGINE_LOG), ("RunUuid", run_uuid))
        return Listing(
            "GetRunMetadataFile", params, parent=run_uuid, max_page=PAGE, offset_paged=True
        )

    def item_key(self, listing: Listing, item: Record) -> str:
        return str(item["line"])

    async def fetch_page(self, listing: Listing, ref: PageRef, size: int) -> Page:
        offset = int(ref or 0)
        key = f"{self._key}\x1f{listing.params!r}"
        text: str = await self._texts.get(key, lambda: self._text(listing), lambda _: self._ttl)
        lines = text.splitlines()
        end = min(len(lines), offset + size)
        items = [{"line": i, "message": lines[i]} for i in range(offset, end)]
        return Page(items, end if end < len(lines) else None, len(lines))

    async def _text(self, listing: Listing) -> str:
        params = {**self._base(), **listing.kwargs}
        if listing.operation == "GetRunJobLog":
            response = await self.wire.call("GetRunJobLog", params)
            return str(response.get("Content") or "")
        response = await self.wire.call("GetRunMetadataFile", params)
        return await self._fetch(str(response.get("CosSignedUrl") or ""))

    def _error(
        self, message: str, code: ErrorCode = ErrorCode.UPSTREAM_UNAVAILABLE
    ) -> UpstreamError:
        return UpstreamError(message, code, source=self.name, provider=self.kind)

    async def _fetch(self, url: str) -> str:
        if not allowed_url(url, self.config):
            raise self._error("upstream handed a log URL outside the source's COS region")
        chunks: list[bytes] = []
        size = 0
        truncated = False
        try:
            async with (
                httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code != 200:
                    raise self._error(
                        f"the engine log's signed URL answered HTTP {response.status_code}",
                        ErrorCode.UPSTREAM_UNAVAILABLE,
                    )
                async for chunk in response.aiter_bytes():
                    room = self.max_bytes - size
                    chunks.append(chunk[:room])
                    size += min(len(chunk), room)
                    if len(chunk) > room:
                        truncated = True
                        break
        except httpx.HTTPError:
            raise self._error(
                "the engine log could not be fetched", ErrorCode.UPSTREAM_UNAVAILABLE
            ) from None
        text = b"".join(chunks).decode("utf-8", errors="replace")
        if truncated:
            text = text.rsplit("\n", 1)[0] + f"\n[truncated at {self.max_bytes} bytes]\n"
        return text

    async def aclose(self) -> None:
        return None  # the cache is the app's
