"""Fixtures for end-to-end tests: the real emulator on loopback and the gateway app over it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.config import Settings, load_settings
from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.server import LoopbackServer
from tests.redisd import redis_server

HO_SOURCE = "aws"
TC_SOURCE = "tencent"
DZ_SOURCE = "datazone"
TC_SECRET_ID, TC_SECRET_KEY = "AKIDEMULATOR00000000", "emulator-secret-key"
CURSOR_KEY = "test-cursor-key-0001"


@dataclass
class Upstreams:
    url: str
    emulator: Emulator


@pytest.fixture(scope="session")
def upstreams() -> Iterator[Upstreams]:
    """One `small` emulator for every end-to-end test; faults and call log reset per test."""
    os.environ["AWS_ACCESS_KEY_ID"] = DEMO_ACCESS_KEY_ID
    os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_SECRET_ACCESS_KEY
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ["TENCENTCLOUD_SECRET_ID"] = TC_SECRET_ID
    os.environ["TENCENTCLOUD_SECRET_KEY"] = TC_SECRET_KEY
    os.environ.pop("TENCENTCLOUD_SESSION_TOKEN", None)
    emu = create_emulator(seed=7, scale="small", quotas=False)
    with LoopbackServer(emu.app) as srv:
        yield Upstreams(srv.url, emu)


@cache
def datazone_domain(url: str) -> str:
    """The emulator's first DataZone domain (one domain per source), from its control API."""
    dataset = httpx.get(f"{url}/_emulator/dataset", timeout=10).json()
    return str(next(iter(dataset["datazone"]["us-east-1"]["domains"])))


def settings_for(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "sources": [
            {
                "name": HO_SOURCE,
                "provider": "healthomics",
                "region": "us-east-1",
                "endpoint_url": url,
            },
            {
                "name": TC_SOURCE,
                "provider": "tencent-omics",
                "region": "ap-guangzhou",
                "endpoint_url": url,
            },
            {
                "name": DZ_SOURCE,
                "provider": "datazone",
                "region": "us-east-1",
                "endpoint_url": url,
                "domain_id": datazone_domain(url),
            },
        ],
        "cursors": {"keys": [CURSOR_KEY]},
        "graphql": {"playground": False, "introspection": True},
        # Unpaced: tests about other things should not wait on HealthOmics' 10/s; tests that
        # pass their own `limits` get the documented quotas back (tests/faults checks them).
        # No per-client quotas either: the paging-law walks send hundreds of queries a minute
        # from one anonymous client (tests/security checks the quotas).
        "limits": {"upstream_rates": {}, "queries_per_minute": 0, "cost_points_per_hour": 0},
    }
    values.update(overrides)
    return load_settings(None, **values)


@dataclass
class Gateway:
    """A running gateway app (in-process ASGI) and the emulator behind it."""

    client: httpx.AsyncClient
    app: Any
    upstreams: Upstreams
    responses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def emulator(self) -> Emulator:
        return self.upstreams.emulator

    async def query(self, query: str, **variables: Any) -> dict[str, Any]:
        resp = await self.client.post("/graphql", json={"query": query, "variables": variables})
        body: dict[str, Any] = resp.json()
        self.responses.append(body)
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The `data` of a query that must not fail."""
        body = await self.query(query, **variables)
        assert not body.get("errors"), body.get("errors")
        result: dict[str, Any] = body["data"]
        return result

    def calls(self) -> dict[str, int]:
        return self.emulator.calls.counts()

    def reset_calls(self) -> None:
        self.emulator.calls.clear()


async def open_gateway(upstreams: Upstreams, settings: Settings) -> AsyncIterator[Gateway]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield Gateway(client, app, upstreams)


@pytest.fixture
async def gateway(upstreams: Upstreams) -> AsyncIterator[Gateway]:
    """A fresh gateway (empty caches) over the shared emulator, with faults reset."""
    upstreams.emulator.faults.reset(quotas=False)
    upstreams.emulator.calls.clear()
    async for gw in open_gateway(upstreams, settings_for(upstreams.url)):
        yield gw
    upstreams.emulator.faults.reset(quotas=False)


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """One real redis-server for the session, on a free loopback port."""
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """The session's redis-server, emptied for this test."""
    import redis

    client = redis.Redis.from_url(redis_server_url)
    client.flushall()
    client.close()
    return redis_server_url
