"""What every resolver gets: this request's loaders and id, and the app's upstream state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as _Info

from gateway.cache.policy import wants_fresh
from gateway.live.hub import Hub
from gateway.loaders import Loaders, Upstream
from gateway.observability.hooks import current_request_id


@dataclass
class Context:
    """Made per HTTP request (per WebSocket connection for subscriptions: never reuse loaders)."""

    upstream: Upstream
    loaders: Loaders
    #: The HTTP request's id (X-Request-Id) where one is bound, else a fresh one.
    request_id: str = field(default_factory=current_request_id)
    request: Any = None
    #: The app's subscription hub (one poller per watched object); None outside the app.
    hub: Hub | None = None

    @classmethod
    def for_request(cls, upstream: Upstream, request: Any = None) -> Context:
        fresh = wants_fresh(getattr(request, "headers", None))
        return cls(upstream=upstream, loaders=Loaders(upstream, fresh=fresh), request=request)


Info = _Info[Context, None]
