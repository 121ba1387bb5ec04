"""The in-process backend: expiry, and its bounds by entries and by bytes (least recent first)."""

from __future__ import annotations

import asyncio

from gateway.cache.backend import MemoryBackend
from gateway.cache.codec import size_of


async def test_entries_expire() -> None:
    backend = MemoryBackend(10, 1_000_000)
    await backend.set("a", {"x": 1}, 0.05)
    assert backend.peek("a") == {"x": 1}
    await asyncio.sleep(0.08)
    assert backend.peek("a") is None
    assert backend.bytes == 0


async def test_bounded_by_entries_least_recent_first() -> None:
    backend = MemoryBackend(3, 1_000_000)
    for key in "abcd":
        await backend.set(key, key, 60)
    assert len(backend) == 3
    assert backend.peek("a") is None
    assert [backend.peek(k) for k in "bcd"] == ["b", "c", "d"]


async def test_bounded_by_bytes() -> None:
    value = {"payload": "x" * 1000}
    one = size_of(value)
    backend = MemoryBackend(1_000, one * 3)
    for i in range(5):
        await backend.set(str(i), value, 60)
    assert len(backend) == 3
    assert backend.bytes == one * 3
    assert backend.peek("0") is None and backend.peek("4") == value


async def test_a_value_larger_than_the_bound_is_not_kept() -> None:
    backend = MemoryBackend(10, 100)
    await backend.set("big", "y" * 1000, 60)
    assert backend.peek("big") is None
    assert backend.bytes == 0


async def test_replacing_a_key_keeps_the_byte_count_right() -> None:
    backend = MemoryBackend(10, 1_000_000)
    await backend.set("k", "a" * 100, 60)
    await backend.set("k", "b" * 10, 60)
    assert backend.bytes == size_of("b" * 10)
