"""Requests held open by a `hang` fault end when their caller hangs up, not never."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request

T = TypeVar("T")


class ClientGone(Exception):
    """The caller hung up while the request was held (a `hang` fault): nobody to answer."""


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """`work`'s result, or `ClientGone` as soon as the client disconnects while waiting."""
    task = asyncio.ensure_future(work)
    while True:
        done, _ = await asyncio.wait({task}, timeout=0.2)
        if done:
            return task.result()
        if await request.is_disconnected():
            task.cancel()
            raise ClientGone
