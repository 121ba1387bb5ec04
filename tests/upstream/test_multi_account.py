"""Multi-account sources, end to end: each source assumes its own role (aiobotocore's
assume-role fetcher against the emulator's STS, found through botocore's standard
`AWS_ENDPOINT_URL_STS`), reads its own account's data, and keeps reading while botocore
refreshes credentials that are about to expire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from gateway.emulator.app import create_emulator
from tests.conftest import Gateway, Upstreams, open_gateway, settings_for

A, B = "acct-a", "acct-b"
RUNS = "query($s: String!, $after: String) { runs(source: $s, first: 10, after: $after) { edges { node { nativeId } } pageInfo { hasNextPage endCursor } } }"


def _sources(upstreams: Upstreams) -> list[dict[str, Any]]:
    accounts = upstreams.emulator.accounts
    return [
        {
            "name": name,
            "provider": "healthomics",
            "region": "us-east-1",
            "endpoint_url": upstreams.url,
            "role_arn": f"arn:aws:iam::{account}:role/runs-reader",
        }
        for name, account in ((A, accounts[1]), (B, accounts[2]))
    ]


@pytest.fixture
async def two_accounts(
    upstreams: Upstreams, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", upstreams.url)
    upstreams.emulator.faults.reset(quotas=False)
    upstreams.emulator.calls.clear()
    async for gw in open_gateway(
        upstreams, settings_for(upstreams.url, sources=_sources(upstreams))
    ):
        yield gw


def _truth(upstreams: Upstreams, k: int) -> list[str]:
    emu = upstreams.emulator
    other = create_emulator(seed=emu.seed + k, scale=emu.scale, quotas=False)
    return [r["id"] for r in other.healthomics.all_runs()]


async def _walk(gw: Gateway, source: str, pages: int | None = None) -> list[str]:
    seen: list[str] = []
    after = None
    while pages is None or pages > 0:
        data = await gw.data(RUNS, s=source, after=after)
        conn = data["runs"]
        seen += [e["node"]["nativeId"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
        pages = None if pages is None else pages - 1
    return seen


async def test_two_sources_in_two_accounts_through_two_roles(
    two_accounts: Gateway, upstreams: Upstreams
) -> None:
    a = await _walk(two_accounts, A, pages=2)
    b = await _walk(two_accounts, B, pages=2)
    assert a == _truth(upstreams, 1)[: len(a)] and len(a) == 20
    assert b == _truth(upstreams, 2)[: len(b)] and len(b) == 20
    assert set(a).isdisjoint(b)
    assert set(a).isdisjoint(r["id"] for r in upstreams.emulator.healthomics.all_runs())
    assert two_accounts.calls()["sts:AssumeRole"] == 2  # one role per source, kept


async def test_a_long_walk_refreshes_credentials_and_keeps_going(
    two_accounts: Gateway, upstreams: Upstreams
) -> None:
    """Credentials whose real Expiration is inside botocore's advisory window (15 min) and,
    seconds later, its mandatory one (10 min): botocore assumes the role again as the walk goes,
    and the walk still yields every run exactly once, in order."""
    sts = upstreams.emulator.sts
    assert sts is not None
    sts.lifetime = timedelta(minutes=10, seconds=2)
    try:
        walked = await _walk(two_accounts, A)
    finally:
        sts.lifetime = None
    assert walked == _truth(upstreams, 1)
    refreshed = two_accounts.calls()["sts:AssumeRole"]
    assert refreshed >= 2, refreshed
