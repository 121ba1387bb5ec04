"""GraphQL over SSE (graphql-sse, distinct connections) beside graphql-transport-ws: header
authentication only, heartbeats, a clean end when the JWT expires, coded refusals."""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id
from tests.conftest import HO_SOURCE, settings_for
from tests.graphql_ws import GraphQLWS
from tests.live.frames import sse_events
from tests.security.conftest import AUDIENCE, HMAC_SECRET, ISSUER, Signer, two_sources

RUN_UPDATED = "subscription($id: ID!) { runUpdated(id: $id) { nativeId status } }"
SSE = {"accept": "text/event-stream"}


@dataclass
class Served:
    emulator: Emulator
    url: str


@pytest.fixture(scope="module")
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
            graphql={"incremental": True, "sse_heartbeat_seconds": 0.3},
            subscriptions={"poll_interval_seconds": 0.05, "max_interval_seconds": 0.2},
        )
        with LoopbackServer(create_app(settings)) as gateway:
            yield Served(emulator, gateway.url + "/graphql")


def bearer(seconds: int = 600, **claims: Any) -> dict[str, str]:
    token = Signer(HMAC_SECRET, "HS256").token(exp=int(time.time()) + seconds, **claims)
    return {"authorization": f"Bearer {token}"}


def live_run(emulator: Emulator) -> str:
    ho = emulator.healthomics
    run = next(r["id"] for r in ho.all_runs() if r["status"] == "RUNNING")
    return global_id("HealthOmicsRun", HO_SOURCE, run)


async def read_events(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str], until: float
) -> AsyncIterator[tuple[str, str]]:
    async with client.stream("POST", url, json=body, headers={**SSE, **headers}) as resp:
        assert resp.status_code == 200, await resp.aread()
        assert resp.headers["content-type"].startswith("text/event-stream")
        buffer = ""
        deadline = time.monotonic() + until
        async for chunk in resp.aiter_text():
            buffer += chunk
            *blocks, buffer = buffer.replace("\r\n", "\n").split("\n\n")
            for block in blocks:
                for event in sse_events(block + "\n\n"):
                    yield event
            assert time.monotonic() < deadline, "the stream did not end in time"


async def test_subscription_over_sse_heartbeats_then_ends_when_the_jwt_expires(
    served: Served,
) -> None:
    body = {"query": RUN_UPDATED, "variables": {"id": live_run(served.emulator)}}
    seen: list[tuple[str, str]] = []
    async with httpx.AsyncClient(timeout=20) as client:
        async for event in read_events(client, served.url, body, bearer(5), until=20):
            seen.append(event)
    kinds = [kind for kind, _ in seen]
    nexts = [json.loads(data) for kind, data in seen if kind == "next"]
    assert nexts[0]["data"]["runUpdated"]["status"] == "RUNNING"
    assert ("", "ping") in seen, "heartbeats keep the idle stream open"
    # The run never changes (frozen clock): only the credential's expiry ends the stream.
    assert len(nexts) == 2
    assert [e["extensions"]["code"] for e in nexts[-1]["errors"]] == ["UNAUTHENTICATED"]
    assert kinds[-1] == "complete"


async def test_queries_over_sse_and_header_auth_only(served: Served) -> None:
    q = {"query": "{ sources { name } }"}
    async with httpx.AsyncClient(timeout=20) as client:
        events = [e async for e in read_events(client, served.url, q, bearer(), until=10)]
        assert events[0][0] == "next"
        assert json.loads(events[0][1])["data"]["sources"] == [{"name": HO_SOURCE}]  # its grant
        assert events[-1][0] == "complete"
        # No credential (a token in the URL is not one): 401 with a coded body, never a stream.
        token = bearer()["authorization"].removeprefix("Bearer ")
        for url in (
            served.url,
            f"{served.url}?token={token}",
            f"{served.url}?access_token={token}",
        ):
            resp = await client.post(url, json=q, headers=SSE)
            assert resp.status_code == 401
            assert resp.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        calls = served.emulator.calls.counts()
        body = {"query": RUN_UPDATED, "variables": {"id": live_run(served.emulator)}}
        resp = await client.post(served.url, json=body, headers=SSE)
        assert resp.status_code == 401
        assert served.emulator.calls.counts() == calls


async def test_streaming_over_graphql_transport_ws_is_refused_with_a_code(served: Served) -> None:
    ws_url = served.url.replace("http://", "ws://")
    token = bearer()["authorization"]
    q = "{ sources { name ... @defer { region } } }"
    async with GraphQLWS.connect(ws_url, {"Authorization": token}) as ws:
        op = await ws.subscribe(q)
        message = await ws.receive()
        assert message["id"] == op and message["type"] == "error", message
        assert [e["extensions"]["code"] for e in message["payload"]] == ["BAD_USER_INPUT"]
