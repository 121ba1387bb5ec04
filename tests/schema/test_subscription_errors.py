"""Subscription events obey the error policy: unexpected failures leave as INTERNAL, masked."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from gateway.policy.errors import ErrorPolicy


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def boom(self) -> AsyncGenerator[int, None]:
        yield 1
        raise RuntimeError("secret internals: db password is hunter2")


class Ctx:
    request_id = "req-123"


async def test_an_unexpected_error_mid_stream_is_masked() -> None:
    schema = strawberry.Schema(query=Query, subscription=Subscription, extensions=[ErrorPolicy])
    stream = await schema.stream("subscription { boom }", context_value=Ctx())
    # What a transport sends is each result as it is yielded: look at it then, not later.
    sent = [(r.data, [(e.message, e.extensions) for e in r.errors or []]) async for r in stream]
    assert sent == [
        ({"boom": 1}, []),
        (None, [("internal error", {"code": "INTERNAL", "requestId": "req-123"})]),
    ]
