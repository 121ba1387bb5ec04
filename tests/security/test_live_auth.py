"""Subscriptions under authentication: the source scoping of every other path, and a JWT that
expires ends its subscription with UNAUTHENTICATED (not at the run's next change)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from gateway.app import create_app
from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id
from tests.conftest import HO_SOURCE, settings_for
from tests.graphql_ws import GraphQLWS
from tests.security.conftest import AUDIENCE, HMAC_SECRET, ISSUER, Signer, two_sources

RUN_UPDATED = "subscription($id: ID!) { runUpdated(id: $id) { nativeId status } }"


@dataclass
class Served:
    emulator: Emulator
    url: str


@pytest.fixture
def served() -> Iterator[Served]:
    os.environ["AWS_ACCESS_KEY_ID"] = DEMO_ACCESS_KEY_ID
    os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_SECRET_ACCESS_KEY
    emulator = create_emulator(seed=11, scale="small", quotas=False)  # its clock stands still
    with LoopbackServer(emulator.app) as upstream:
        settings = settings_for(
            upstream.url,
            sources=two_sources(upstream.url),
            auth={
                "mode": "jwt",
                "jwt": {
                    "key": HMAC_SECRET,
                    "algorithms": ["HS256"],
                    "issuer": ISSUER,
                    "audience": AUDIENCE,
                },
            },
            subscriptions={"poll_interval_seconds": 0.05, "max_interval_seconds": 0.2},
        )
        with LoopbackServer(create_app(settings)) as gateway:
            yield Served(emulator, gateway.url.replace("http://", "ws://") + "/graphql")


def live_run(emulator: Emulator) -> str:
    ho = emulator.healthomics
    return str(next(r["id"] for r in ho.all_runs() if r["status"] == "RUNNING"))


def signer() -> Signer:
    return Signer(HMAC_SECRET, "HS256")


async def test_an_expiring_jwt_ends_the_subscription(served: Served) -> None:
    token = signer().token(exp=int(time.time()) + 4)
    run = global_id("HealthOmicsRun", HO_SOURCE, live_run(served.emulator))
    async with GraphQLWS.connect(served.url, {"Authorization": f"Bearer {token}"}) as ws:
        op = await ws.subscribe(RUN_UPDATED, id=run)
        first = await ws.receive()
        assert first["type"] == "next" and first["payload"]["data"]["runUpdated"]["status"]
        # The run does not change (the emulator's clock stands still): only expiry can end it.
        ended = await ws.receive(timeout=10.0)
        assert ended["id"] == op
        assert ended["type"] == "next", ended
        codes = [e["extensions"]["code"] for e in ended["payload"]["errors"]]
        assert codes == ["UNAUTHENTICATED"]
        assert await ws.receive() == {"id": op, "type": "complete"}


async def test_a_subscription_to_an_ungranted_source_is_forbidden(served: Served) -> None:
    token = signer().token(sources=["aws2"], exp=int(time.time()) + 600)
    run = global_id("HealthOmicsRun", HO_SOURCE, live_run(served.emulator))
    gone = global_id("HealthOmicsRun", HO_SOURCE, "999999999")
    served.emulator.calls.clear()
    async with GraphQLWS.connect(served.url, {"Authorization": f"Bearer {token}"}) as ws:
        for target in (run, gone):  # the same answer whether or not the run exists
            op = await ws.subscribe(RUN_UPDATED, id=target)
            message = await ws.receive()
            assert message["id"] == op and message["payload"]["data"] is None
            assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["FORBIDDEN"]
            assert await ws.receive() == {"id": op, "type": "complete"}
    assert served.emulator.calls.counts() == {}
