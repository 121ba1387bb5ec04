"""Cursors: sealed, bound to their connection, filter and key ring; no upstream token inside."""

from __future__ import annotations

import base64

import pytest

from gateway.paging.cursor import (
    MAX_INLINE_TOKEN,
    CursorCodec,
    CursorData,
    CursorError,
    StoredRef,
    id_hash,
)
from gateway.paging.window import Slot
from tests.conftest import Gateway, Upstreams, open_gateway, settings_for

TASKS = """query($run: String!, $first: Int, $after: String, $status: String) {
  run(source: "aws", id: $run) { ... on HealthOmicsRun { tasks(first: $first, after: $after, status: $status) {
    pageInfo { endCursor hasNextPage } edges { cursor node { nativeId } } } } } }"""


def _runs_with_tasks(gw: Gateway) -> list[str]:
    ho = gw.emulator.healthomics
    runs = [r for r in ho.all_runs() if r["status"] == "COMPLETED" and len(ho.tasks(r["id"])) > 3]
    runs.sort(key=lambda r: -len(ho.tasks(r["id"])))
    return [r["id"] for r in runs]


async def _first_cursor(gw: Gateway, run: str, status: str | None = None) -> str:
    data = await gw.data(TASKS, run=run, first=2, status=status)
    cursor: str = data["run"]["tasks"]["pageInfo"]["endCursor"]
    return cursor


async def _refused(gw: Gateway, **variables: object) -> None:
    gw.reset_calls()
    body = await gw.query(TASKS, **variables)
    codes = [e["extensions"]["code"] for e in body["errors"]]
    assert codes == ["BAD_USER_INPUT"], body
    assert body["data"]["run"] is None or body["data"]["run"]["tasks"] is None
    assert "omics:ListRunTasks" not in gw.calls(), "a bad cursor must not reach upstream"


async def test_tampered_cursor_is_refused_without_upstream_call(gateway: Gateway) -> None:
    run = _runs_with_tasks(gateway)[0]
    cursor = await _first_cursor(gateway, run)
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[20] ^= 0x01
    edited = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    await _refused(gateway, run=run, first=2, after=edited)
    await _refused(gateway, run=run, first=2, after="not-a-cursor")


async def test_cursor_from_another_connection_or_filter_is_refused(gateway: Gateway) -> None:
    run_a, run_b = _runs_with_tasks(gateway)[:2]
    cursor = await _first_cursor(gateway, run_a)
    await _refused(gateway, run=run_b, first=2, after=cursor)
    await _refused(gateway, run=run_a, first=2, after=cursor, status="COMPLETED")


async def test_cursor_made_with_another_key_is_refused(upstreams: Upstreams) -> None:
    other = settings_for(upstreams.url, cursors={"keys": ["a-different-key"]})
    async for gw in open_gateway(upstreams, other):
        run = _runs_with_tasks(gw)[0]
        cursor = await _first_cursor(gw, run)
    async for gw in open_gateway(upstreams, settings_for(upstreams.url)):
        await _refused(gw, run=run, first=2, after=cursor)


async def test_rotated_key_ring_still_opens_old_cursors(upstreams: Upstreams) -> None:
    async for gw in open_gateway(upstreams, settings_for(upstreams.url, cursors={"keys": ["old"]})):
        run = _runs_with_tasks(gw)[0]
        cursor = await _first_cursor(gw, run)
    rotated = settings_for(upstreams.url, cursors={"keys": ["new", "old"]})
    async for gw in open_gateway(upstreams, rotated):
        data = await gw.data(TASKS, run=run, first=2, after=cursor)
        assert len(data["run"]["tasks"]["edges"]) == 2


async def test_no_cursor_carries_an_upstream_token(gateway: Gateway) -> None:
    run = _runs_with_tasks(gateway)[0]
    after = None
    cursors: list[str] = []
    while True:
        data = await gateway.data(TASKS, run=run, first=7, after=after)
        conn = data["run"]["tasks"]
        cursors.extend(e["cursor"] for e in conn["edges"])
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    tokens = gateway.emulator.calls.tokens()
    assert tokens, "the walk crossed upstream pages"
    for cursor in cursors:
        assert len(cursor) <= 256
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        for token in tokens:
            assert token not in cursor
            assert token.encode() not in decoded


def test_codec_roundtrip_and_binding() -> None:
    codec = CursorCodec(["k1"])
    data = CursorData(
        "t" * MAX_INLINE_TOKEN, 100, 99, id_hash("item"), id_hash("before"), id_hash("after")
    )
    sealed = codec.encode(data, b"conn")
    assert len(sealed) <= 256
    assert codec.decode(sealed, b"conn") == data
    with pytest.raises(CursorError):
        codec.decode(sealed, b"other-conn")
    with pytest.raises(CursorError):
        CursorCodec(["k2"]).decode(sealed, b"conn")


def test_long_tokens_become_store_keys() -> None:
    slot = Slot({"id": "1"}, "x" * 8192, 50, 3, "1")
    data = slot.cursor_data()
    assert isinstance(data.ref, StoredRef)
    sealed = CursorCodec(["k"]).encode(data, b"c")
    assert len(sealed) <= 256
