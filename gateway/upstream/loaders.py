"""Per-request loaders over app-wide upstream state: where fan-out becomes few upstream calls.

`Upstream` lives as long as the app: providers (one per source), the cursor codec, the token
store, the cross-request cache of upstream results and the rate limiter (all in Redis when
`[cache] url` is set, so replicas share them). `Loaders` lives for one request: DataLoaders per
(source, kind) that deduplicate and batch, and the connection windows that turn Relay arguments
into upstream pages. Every upstream read goes through the cache with a TTL chosen by state.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from aiodataloader import DataLoader

from gateway.cache.backend import CacheBackend, MemoryBackend
from gateway.cache.policy import Settled, TtlPolicy, judge, page_ttl
from gateway.cache.redis_backend import RedisBackend, connect
from gateway.cache.upstream import UpstreamCache, cache_key
from gateway.config import Settings
from gateway.errors import ErrorCode, GatewayError, bad_input, quoted
from gateway.guards import Guards
from gateway.observability import hooks as observe
from gateway.paging.cursor import CursorCodec, CursorError, random_secret
from gateway.paging.redis_store import RedisTokenStore
from gateway.paging.store import MemoryTokenStore, TokenStore
from gateway.paging.window import Walker
from gateway.ratelimit import RateLimiter
from gateway.ratelimit.redis import rate_limiter_for
from gateway.types import Listing, Page, PageRef, Provider
from gateway.upstream.connection import Connection, check_page_args, connection_id
from gateway.upstream.wiring import ProviderFactory, Wiring

if TYPE_CHECKING:
    from gateway.catalog.service import Catalog

log = logging.getLogger(__name__)

P = TypeVar("P", bound=Provider)


class Upstream:
    """Everything that outlives a request: providers, cursor keys, token store, cache, limiter."""

    def __init__(
        self,
        settings: Settings,
        providers: dict[str, Provider],
        store: TokenStore | None = None,
        *,
        redis: Any = None,
        limiter: RateLimiter | None = None,
        guards: Guards | None = None,
    ) -> None:
        self.settings = settings
        self.providers = providers
        cfg = settings.cache
        if redis is None and cfg.url is not None:
            redis = connect(cfg.url)
        self.redis = redis
        #: Sources this view may reach; None = all (see `scoped`).
        self.granted: frozenset[str] | None = None
        self.root: Upstream = self
        #: The run catalogue when `[catalog] enabled` (set by the app once it opened).
        self.catalog: Catalog | None = None
        keys = settings.cursors.keys
        if not keys:
            log.warning(
                "no [cursors] keys configured: using a random key; cursors die on restart "
                "and replicas will not accept each other's cursors"
            )
            keys = [random_secret()]
        self.codec = CursorCodec(keys)
        backend: CacheBackend
        if redis is not None:
            # While Redis is unreachable the cache runs in memory, bounded as configured.
            interim = MemoryBackend(cfg.max_entries, cfg.max_bytes)
            backend = RedisBackend(redis, cfg.key_prefix + "c:", interim)
            self.store: TokenStore = store or RedisTokenStore(redis, cfg.key_prefix + "t:")
        else:
            backend = MemoryBackend(cfg.max_entries, cfg.max_bytes)
            self.store = store or MemoryTokenStore()
        self.cache = UpstreamCache(backend)
        #: The shared backend (Redis) when scaled out, else None: what else replicas must share
        #: (persisted queries) is kept there too.
        self.shared_backend: CacheBackend | None = backend if redis is not None else None
        self.policy = TtlPolicy.from_config(cfg)
        self.limiter: RateLimiter = limiter or rate_limiter_for(settings, redis)
        self.guards = guards or Guards(settings.limits, self.limiter)
        # Cache keys carry a fingerprint of each source's config: change where a source points
        # and its old entries are never read again.
        self._fingerprints = {
            s.name: hashlib.blake2b(s.model_dump_json().encode(), digest_size=4).hexdigest()
            for s in settings.sources
        }

    @classmethod
    def from_settings(cls, settings: Settings, clouds: Iterable[ProviderFactory]) -> Upstream:
        """Every configured source's provider, each built by its cloud's factory."""
        redis = connect(settings.cache.url) if settings.cache.url is not None else None
        limiter = rate_limiter_for(settings, redis)
        guards = Guards(settings.limits, limiter)
        upstream = cls(settings, {}, redis=redis, limiter=limiter, guards=guards)
        wiring = Wiring(settings, guards, upstream.cache)
        for cloud in clouds:
            mine = [s for s in settings.sources if s.provider == cloud.kind.value]
            if mine:
                upstream.providers.update(cloud.providers(mine, wiring))
        missing = [s.name for s in settings.sources if s.name not in upstream.providers]
        if missing:
            raise ValueError(f"no cloud built a provider for sources {missing}")
        return upstream

    def key(self, source: str, *parts: object) -> str:
        """The cache key of one upstream call of `source`."""
        return cache_key(source, self._fingerprints.get(source, ""), *parts)

    async def forget(self, source: str, *parts: object) -> None:
        """Drop one cached upstream result (a push event says it changed)."""
        await self.cache.backend.delete(self.key(source, *parts))

    async def cached(self, source: str, *parts: object) -> Any:
        """One cached upstream result, or None: never an upstream call."""
        found = await self.cache.backend.get(self.key(source, *parts))
        return None if found is None else found[0]

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

    def provider(self, name: str) -> Provider:
        """The provider of a configured source; an unknown name is the client's mistake."""
        self.authorize(name)
        found = self.providers.get(name)
        if found is None:
            raise bad_input(f"unknown source {quoted(name)}")
        return found

    def provider_as(self, name: str, cls: type[P]) -> P:
        """The source's provider as its cloud's own class: the one way a cloud's graph gets it.

        A source of another cloud asked for here is the client's mistake (no upstream call).
        """
        found = self.provider(name)
        if not isinstance(found, cls):
            raise bad_input(f"source {quoted(name)} ({found.kind.value}) does not serve this field")
        return found

    async def aclose(self) -> None:
        for provider in self.providers.values():
            await provider.aclose()
        await self.cache.aclose()
        if self.redis is not None:
            await self.redis.aclose()


class Loaders:
    """Per-request loaders: same key twice in one request → one upstream call.

    `fresh` (the client sent `Cache-Control: no-cache`, or a subscription event is polling)
    skips cached answers for this request; within the request, a page read twice is read once.
    """

    def __init__(self, upstream: Upstream, *, fresh: bool = False) -> None:
        self.upstream = upstream
        self.fresh = fresh
        #: When the first upstream result this request used stops being fresh (monotonic s):
        #: a response built from them may be reused until then, never after.
        self.expires_at = math.inf
        self._loaders: dict[tuple[str, str], DataLoader[Any, Any]] = {}
        #: Pages read in this request, and whether each came from the cross-request cache.
        self._pages: dict[tuple[str, Listing, PageRef, int], tuple[Page, bool]] = {}

    def _seen(self, expires_at: float) -> None:
        if expires_at < self.expires_at:
            self.expires_at = expires_at

    # -- pages and connections ----------------------------------------------------------------

    async def page(
        self,
        provider: Provider,
        listing: Listing,
        ref: PageRef,
        size: int,
        settled: Settled = False,
    ) -> Page:
        """One upstream page; kept long when `settled` says so (of the page), else briefly."""
        page, _ = await self.view_page(provider, listing, ref, size, settled)
        return page

    async def view_page(
        self,
        provider: Provider,
        listing: Listing,
        ref: PageRef,
        size: int,
        settled: Settled = False,
        *,
        fresh: bool = False,
    ) -> tuple[Page, bool]:
        """A page and whether it came from the cross-request cache (an older view of the list);
        `fresh` skips the cache, as a walk does once it must stitch pages (paging/pages.py)."""
        memo = (provider.name, listing, ref, size)
        found = self._pages.get(memo)
        if found is not None and not (fresh and found[1]):
            return found
        up = self.upstream
        policy = up.policy
        fetched = False

        async def fetch() -> Page:
            nonlocal fetched
            fetched = True
            return await provider.fetch_page(listing, ref, size)

        catalog = up.catalog
        if catalog is not None and not self.fresh:  # settled task lists, kept by the catalogue
            stored = await catalog.task_page(provider.name, provider.kind, listing, ref, size)
            if stored is not None:  # settled: never an older view than upstream's own
                self._pages[memo] = (stored, False)
                self._seen(time.monotonic() + up.settings.cache.settled_ttl_seconds)
                return stored, False

        page: Page = await up.cache.get(
            up.key(provider.name, listing.operation, listing.parent, listing.params, ref, size),
            fetch,
            lambda p: page_ttl(policy, settled, p),
            fresh=self.fresh or fresh,
            seen=self._seen,
        )
        self._pages[memo] = (page, not fetched)
        observe.cache_lookup("pages", provider.name, hit=not fetched)
        return page, not fetched

    async def connection(
        self,
        provider: Provider,
        listing: Listing,
        *,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
        settled: Settled = False,
    ) -> Connection:
        """Validate Relay arguments and cursors (no upstream call when bad), then walk.

        `settled`: the listing's pages rarely change (say, the tasks of a settled run).
        """
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
            None,
            lambda item: provider.item_key(listing, item),
            max_page=listing.max_page,
            store=self.upstream.store,
            chain_ns=hashlib.blake2b(conn, digest_size=8).hexdigest(),
            max_walk_pages=cfg.max_walk_pages,
            token_ttl=cfg.token_ttl_seconds,
            offset_paged=listing.offset_paged,
            view_fetch=lambda ref, size, fresh: self.view_page(
                provider, listing, ref, size, settled, fresh=fresh
            ),
        )
        if first is not None:
            window = await walker.forward(first, after_data)
        else:
            assert last is not None
            window = await walker.backward(last, before_data)
        return Connection(window, codec, conn)

    async def opening_page(
        self, provider: Provider, listing: Listing, first: int | None, settled: Settled = False
    ) -> None:
        """Read now the page a `first: n` connection from the list's start reads first
        (`Walker.forward`: n + 1 items, within the listing's page size), so that the
        connection, asked later, joins it; nothing is read for arguments it would refuse."""
        check_page_args(first, None)
        assert first is not None
        await self.view_page(provider, listing, None, min(first + 1, listing.max_page), settled)

    async def walk_all(
        self, provider: Provider, listing: Listing, settled: Settled = False
    ) -> list[Any]:
        """Every item of a listing in full pages, bounded like any walk (used for priming)."""
        items: list[Any] = []
        ref: PageRef = None
        for _ in range(self.upstream.settings.cursors.max_walk_pages):
            page = await self.page(provider, listing, ref, listing.max_page, settled)
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
        self,
        source: str,
        kind: str,
        fetch: Callable[[Any], Awaitable[Any]],
        settled: Settled = False,
    ) -> DataLoader[Any, Any]:
        """A loader for APIs with no batch call: one call per distinct key, concurrently.

        Each record goes through the cross-request cache (single-flight across requests), kept
        long when `settled` judges it so.
        """
        found = self._loaders.get((source, kind))
        if found is not None:
            return found
        up = self.upstream
        policy = up.policy
        cache = up.cache
        fresh = self.fresh
        seen = self._seen

        def ttl(record: Any) -> float:
            return policy.record(judge(settled, record))

        async def one(key: Any) -> Any:
            return await cache.get(
                up.key(source, kind, key), lambda: fetch(key), ttl, fresh=fresh, seen=seen
            )

        async def batch(keys: list[Any]) -> list[Any]:
            results = await asyncio.gather(*(one(k) for k in keys), return_exceptions=True)
            return list(results)

        return self.loader(source, kind, batch)
