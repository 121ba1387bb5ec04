"""What every resolver gets: this request's loaders and id, and the app's upstream state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as _Info

from gateway.cache.policy import wants_fresh
from gateway.live.hub import Hub
from gateway.loaders import Loaders, Upstream


@dataclass
class Context:
    """Made per HTTP request (per WebSocket connection for subscriptions: never reuse loaders)."""

    upstream: Upstream
    loaders: Loaders
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    request: Any = None
    #: The app's subscription hub (one poller per watched object); None outside the app.
    hub: Hub | None = None

    @classmethod
    def for_request(cls, upstream: Upstream, request: Any = None) -> Context:
        fresh = wants_fresh(getattr(request, "headers", None))
        return cls(upstream=upstream, loaders=Loaders(upstream, fresh=fresh), request=request)


Info = _Info[Context, None]
