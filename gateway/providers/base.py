"""What every provider speaks: typed pages, records and errors. Knows no GraphQL.

A provider turns one upstream API into calls that return plain upstream records (dicts with the
upstream's own field names) and pages of them, and turns every upstream failure into one
`UpstreamError` whose `code` comes from the gateway's single error table.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Record = Mapping[str, Any]
#: Where a page starts upstream: None for the first page, a token (str) or an offset (int).
PageRef = str | int | None


class ProviderKind(enum.Enum):
    """The upstream APIs the gateway speaks; values are the names used in config."""

    HEALTHOMICS = "healthomics"
    TENCENT_OMICS = "tencent-omics"
    DATAZONE = "datazone"


class ErrorCode(enum.StrEnum):
    """The one error table every GraphQL error's `extensions.code` comes from."""

    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    THROTTLED = "THROTTLED"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"
    CURSOR_EXPIRED = "CURSOR_EXPIRED"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    INTERNAL = "INTERNAL"


class GatewayError(Exception):
    """An error the client is meant to see, with its code and whatever context is known.

    `extensions` is read by graphql-core when the error reaches a field, so raising one from
    any layer puts the code on the right path of the response.
    """

    def __init__(
        self,
        message: str,
        code: ErrorCode,
        *,
        source: str | None = None,
        provider: ProviderKind | None = None,
        upstream_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.source = source
        self.provider = provider
        self.upstream_code = upstream_code
        self.request_id = request_id

    @property
    def extensions(self) -> dict[str, Any]:
        ext: dict[str, Any] = {"code": self.code.value}
        if self.source is not None:
            ext["source"] = self.source
        if self.provider is not None:
            ext["provider"] = self.provider.name
        if self.upstream_code is not None:
            ext["upstreamCode"] = self.upstream_code
        if self.request_id is not None:
            ext["requestId"] = self.request_id
        return ext


class UpstreamError(GatewayError):
    """An upstream call failed; `code` says how the client should read it."""


def bad_input(message: str) -> GatewayError:
    """Bad client input: answered before any upstream call."""
    return GatewayError(message, ErrorCode.BAD_USER_INPUT)


@dataclass(frozen=True, slots=True)
class Page:
    """One upstream page: its records in upstream order and where the next page starts.

    `next_ref` is None when upstream says the listing ended; `total` is set where upstream
    counts the whole listing (Tencent's TotalCount).
    """

    items: Sequence[Record]
    next_ref: PageRef = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """One upstream listing with its fixed arguments; paging moves only `ref` and `size`.

    `operation` is the upstream operation name, `params` its non-paging arguments, `parent` the
    id of what is being listed (a batch, a run, a job) or "" for a root listing.
    """

    operation: str
    params: tuple[tuple[str, Any], ...] = ()
    parent: str = ""
    max_page: int = 100
    offset_paged: bool = False

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.params)


class Provider(Protocol):
    """One upstream account + region, as the loaders see it."""

    name: str
    kind: ProviderKind

    async def fetch_page(self, listing: Listing, ref: PageRef, size: int) -> Page:
        """Fetch one page of `listing` starting at `ref` with at most `size` items."""
        ...

    def item_key(self, listing: Listing, item: Record) -> str:
        """The identity of an item of `listing`, used to find it again when pages shift."""
        ...

    async def aclose(self) -> None:
        """Release clients and connections."""
        ...
