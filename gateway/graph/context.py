"""What every resolver gets: this request's loaders and id, and the app's upstream state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as _Info

from gateway.cache.policy import wants_fresh
from gateway.guards import CallBudget
from gateway.live.hub import Hub
from gateway.observability.hooks import current_request_id
from gateway.security.auth import ANONYMOUS, Principal
from gateway.security.quota import QueryQuota
from gateway.upstream.loaders import Loaders, Upstream


@dataclass(frozen=True)
class Cost:
    """The estimate of one operation; the audit log and QUERY_TOO_COSTLY errors report it."""

    depth: int = 0
    aliases: int = 0
    nodes: int = 0
    calls: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "depth": self.depth,
            "aliases": self.aliases,
            "nodes": self.nodes,
            "upstreamCalls": self.calls,
        }


@dataclass
class Context:
    """Made per HTTP request (per WebSocket connection for subscriptions: never reuse loaders).

    `upstream` is the app's upstream as this request's principal sees it: only its sources.
    """

    upstream: Upstream
    loaders: Loaders
    #: The HTTP request's id (X-Request-Id) where one is bound, else a fresh one.
    request_id: str = field(default_factory=current_request_id)
    request: Any = None
    #: The app's subscription hub (one poller per watched object); None outside the app.
    hub: Hub | None = None
    principal: Principal = ANONYMOUS
    quota: QueryQuota | None = None
    #: Set by the query guard: the operation's estimate and the upstream calls it made.
    cost: Cost | None = None
    budget: CallBudget | None = None
    #: The operation's name as executed (the document's, when the request named none): what a
    #: kept answer of it is counted and audited as.
    operation: str | None = None
    #: graphql-transport-ws `connection_init` payload (Strawberry sets it over WebSocket).
    connection_params: Any = None

    @classmethod
    def for_request(
        cls,
        upstream: Upstream,
        request: Any = None,
        principal: Principal = ANONYMOUS,
        quota: QueryQuota | None = None,
    ) -> Context:
        scoped = upstream.scoped(principal.sources)
        fresh = wants_fresh(getattr(request, "headers", None))
        return cls(
            upstream=scoped,
            loaders=Loaders(scoped, fresh=fresh),
            request=request,
            principal=principal,
            quota=quota,
        )

    def authenticate(self, principal: Principal) -> None:
        """Adopt the principal a WebSocket `connection_init` proved (HTTP ones come earlier)."""
        self.principal = principal
        self.upstream = self.upstream.root.scoped(principal.sources)
        self.loaders = Loaders(self.upstream, fresh=self.loaders.fresh)


Info = _Info[Context, None]
