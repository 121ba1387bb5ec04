"""Per-request loaders over app-wide upstream state: where fan-out becomes few upstream calls.

`Upstream` lives as long as the app: providers (one per source), the cursor codec, the token
store and the page cache. `Loaders` lives for one request: DataLoaders per (source, kind) that
deduplicate and batch, and the connection windows that turn Relay arguments into upstream pages.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from typing import Any, TypeVar

from aiodataloader import DataLoader

from gateway.cache.pages import SingleFlightCache
from gateway.config import Settings
from gateway.paging.cursor import CursorCodec, CursorError, random_secret
from gateway.paging.store import MemoryTokenStore, TokenStore
from gateway.paging.window import Slot, Walker, Window
from gateway.providers.base import (
    ErrorCode,
    GatewayError,
    Listing,
    Page,
    PageRef,
    Provider,
    ProviderKind,
    bad_input,
)
from gateway.providers.healthomics import HealthOmicsProvider
from gateway.providers.resilience import Guards

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_PAGE_ARG = 100


class Upstream:
    """Everything that outlives a request: providers, cursor keys, token store, page cache."""

    def __init__(
        self,
        settings: Settings,
        providers: dict[str, Any],
        store: TokenStore | None = None,
        guards: Guards | None = None,
    ) -> None:
        self.settings = settings
        self.providers = providers
        self.guards = guards or Guards(settings.limits)
        #: Sources this view may reach; None = all (see `scoped`).
        self.granted: frozenset[str] | None = None
        self.root: Upstream = self
        keys = settings.cursors.keys
        if not keys:
            log.warning(
                "no [cursors] keys configured: using a random key; cursors die on restart "
                "and replicas will not accept each other's cursors"
            )
            keys = [random_secret()]
        self.codec = CursorCodec(keys)
        self.store: TokenStore = store or MemoryTokenStore()
        self.pages: SingleFlightCache[Page] = SingleFlightCache(
            settings.cache.page_ttl_seconds, settings.cache.max_pages
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Upstream:
        gates: dict[str, asyncio.Semaphore] = {}
        providers: dict[str, Any] = {}
        guards = Guards(settings.limits)
        for source in settings.sources:
            gate = gates.setdefault(
                source.account_key, asyncio.Semaphore(settings.limits.concurrency_per_account)
            )
            guard = guards.for_source(source)
            if source.provider is ProviderKind.HEALTHOMICS:
                providers[source.name] = HealthOmicsProvider(source, settings.limits, gate, guard)
            else:
                log.warning(
                    "source %s: provider %s is not served yet; skipped",
                    source.name,
                    source.provider.value,
                )
        return cls(settings, providers, guards=guards)

    def scoped(self, granted: frozenset[str] | None) -> Upstream:
        """This upstream as one client sees it: only `granted` sources (None = all).

        Every schema path reaches a provider through `provider()` (or `providers`), so the
        check lives here once: root fields, node/nodes, cursors and federation entities alike.
        """
        if granted is None:
            return self.root
        view = copy.copy(self.root)
        view.granted = frozenset(granted)
        view.providers = {n: p for n, p in self.providers.items() if n in view.granted}
        return view

    def authorize(self, name: str) -> None:
        """FORBIDDEN for a source this client was not granted, whether or not it exists."""
        if self.granted is not None and name not in self.granted:
            raise GatewayError(
                "this client may not read that source", ErrorCode.FORBIDDEN, source=name
            )

    def provider(self, name: str) -> Any:
        """The provider of a configured source; an unknown name is the client's mistake."""
        self.authorize(name)
        found = self.providers.get(name)
        if found is None:
            raise bad_input(f"unknown source {name!r}")
        return found

    async def aclose(self) -> None:
        for provider in self.providers.values():
            await provider.aclose()


def connection_id(source: str, listing: Listing) -> bytes:
    """What a cursor is bound to: source, operation, parent and a hash of the filters."""
    params = repr(listing.params).encode()
    digest = hashlib.blake2b(params, digest_size=8).hexdigest()
    return f"{source}\x1f{listing.operation}\x1f{listing.parent}\x1f{digest}".encode()


def check_page_args(first: int | None, last: int | None) -> None:
    """GitHub's rule: exactly one of `first`/`last`, each within 1..100."""
    if first is None and last is None:
        raise bad_input("connections need `first` or `last`")
    if first is not None and last is not None:
        raise bad_input("pass `first` or `last`, not both")
    value = first if first is not None else last
    name = "first" if first is not None else "last"
    if value is None or not 1 <= value <= MAX_PAGE_ARG:
        raise bad_input(f"`{name}` must be between 1 and {MAX_PAGE_ARG}")


class Connection:
    """One resolved window of one connection, with cursors sealed for that connection."""

    def __init__(self, window: Window, codec: CursorCodec, conn: bytes) -> None:
        self.window = window
        self._codec = codec
        self._conn = conn

    @property
    def slots(self) -> list[Slot]:
        return self.window.slots

    def cursor(self, slot: Slot) -> str:
        return self._codec.encode(slot.cursor_data(), self._conn)


class Loaders:
    """Per-request loaders: same key twice in one request → one upstream call."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self._loaders: dict[tuple[str, str], DataLoader[Any, Any]] = {}

    # -- pages and connections ----------------------------------------------------------------

    async def page(self, provider: Provider, listing: Listing, ref: PageRef, size: int) -> Page:
        key = (provider.name, listing, ref, size)
        return await self.upstream.pages.get(key, lambda: provider.fetch_page(listing, ref, size))

    async def connection(
        self,
        provider: Provider,
        listing: Listing,
        *,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
    ) -> Connection:
        """Validate Relay arguments and cursors (no upstream call when bad), then walk."""
        check_page_args(first, last)
        conn = connection_id(provider.name, listing)
        codec = self.upstream.codec
        try:
            after_data = codec.decode(after, conn) if after is not None else None
            before_data = codec.decode(before, conn) if before is not None else None
        except CursorError as exc:
            raise bad_input(f"invalid cursor: {exc}") from None
        cfg = self.upstream.settings.cursors
        walker = Walker(
            lambda ref, size: self.page(provider, listing, ref, size),
            lambda item: provider.item_key(listing, item),
            max_page=listing.max_page,
            store=self.upstream.store,
            chain_ns=hashlib.blake2b(conn, digest_size=8).hexdigest(),
            max_walk_pages=cfg.max_walk_pages,
            token_ttl=cfg.token_ttl_seconds,
            offset_paged=listing.offset_paged,
        )
        if first is not None:
            window = await walker.forward(first, after_data)
        else:
            assert last is not None
            window = await walker.backward(last, before_data)
        return Connection(window, codec, conn)

    async def walk_all(self, provider: Provider, listing: Listing) -> list[Any]:
        """Every item of a listing in full pages, bounded like any walk (used for priming)."""
        items: list[Any] = []
        ref: PageRef = None
        for _ in range(self.upstream.settings.cursors.max_walk_pages):
            page = await self.page(provider, listing, ref, listing.max_page)
            items.extend(page.items)
            if page.next_ref is None:
                return items
            ref = page.next_ref
        raise GatewayError(
            "listing is longer than the walk bound",
            code=ErrorCode.QUERY_TOO_COSTLY,
            source=provider.name,
        )

    # -- entity loaders -----------------------------------------------------------------------

    def loader(
        self,
        source: str,
        kind: str,
        batch: Callable[[list[Any]], Coroutine[Any, Any, list[Any]]],
    ) -> DataLoader[Any, Any]:
        """The request's DataLoader for (source, kind), made on first use."""
        key = (source, kind)
        found = self._loaders.get(key)
        if found is None:
            found = self._loaders[key] = DataLoader(batch)
        return found

    def each(
        self, source: str, kind: str, fetch: Callable[[Any], Awaitable[Any]]
    ) -> DataLoader[Any, Any]:
        """A loader for APIs with no batch call: one call per distinct key, concurrently."""

        async def batch(keys: list[Any]) -> list[Any]:
            results = await asyncio.gather(*(fetch(k) for k in keys), return_exceptions=True)
            return list(results)

        return self.loader(source, kind, batch)
