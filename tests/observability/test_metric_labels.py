"""Metric labels have one shape whichever cloud a call went to: a rate-limit bucket is
`account:Operation` for HealthOmics (token bucket) and Tencent (rolling window) alike."""

from __future__ import annotations

import asyncio
import re

import httpx

from gateway.app import create_app
from gateway.emulator.server import LoopbackServer
from tests.conftest import HO_SOURCE, TC_SOURCE, Upstreams, settings_for

KEY = re.compile(r'gateway_rate_limit_waits_total\{key="([^"]*)"\}')


async def test_rate_limit_keys_have_one_shape(upstreams: Upstreams) -> None:
    upstreams.emulator.faults.reset(quotas=False)
    limits = {
        "upstream_rates": {"healthomics:*": 2.0},
        "tencent_requests_per_second": 1,
        "queries_per_minute": 0,
        "cost_points_per_hour": 0,
    }
    settings = settings_for(upstreams.url, limits=limits)
    with LoopbackServer(create_app(settings)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            queries = [
                f'{{ runs(source: "{source}", first: {n}) {{ edges {{ node {{ id }} }} }} }}'
                for source in (HO_SOURCE, TC_SOURCE)
                for n in (1, 2, 3)
            ]
            answers = await asyncio.gather(
                *(client.post("/graphql", json={"query": q}) for q in queries)
            )
            assert all("errors" not in a.json() for a in answers), [a.json() for a in answers]
            text = (await client.get("/metrics")).text
    keys = set(KEY.findall(text))
    assert {k.rsplit(":", 1)[1] for k in keys} >= {"ListRuns", "DescribeRuns"}, keys
    for key in keys:
        assert re.fullmatch(r"source:[A-Za-z0-9_.-]+:[A-Z][A-Za-z]+", key), key
