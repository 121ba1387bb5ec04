"""`python -m benchmarks.live`: issue 16's figures, each a ratio measured in this one run.

1. Incremental delivery: the time to the first part of the 100 × 100 reference tree with
   `@stream` on its runs, ÷ the critical path (2 × the injected 20 ms), beside the whole
   tree's time (plain and streamed) — `gateway serve` and the emulator each in its own
   process.
2. Live at scale: GetRun calls per watched run per minute with N replicas on one Redis
   (goal: independent of N), beside N replicas without Redis (one poller each).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import httpx
from websockets.asyncio.client import connect

from benchmarks.procs import (
    CURSOR_KEY,
    demo_credentials,
    emulator_process,
    gateway_process,
    redis_process,
    toml_config,
)
from benchmarks.reference import SELECTION
from benchmarks.run import UNPACED
from gateway.app import create_app
from gateway.config import load_settings
from gateway.emulator.app import create_emulator
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id

LATENCY_MS = 20.0
#: No pacing and no per-client quotas: what is measured is the gateway, not its limits.
LIMITS: dict[str, Any] = {**UNPACED, "queries_per_minute": 0, "cost_points_per_hour": 0}


def report(metric: str, value: str, goal: str, met: bool | None) -> None:
    verdict = "n/a" if met is None else ("met" if met else "MISSED")
    print(f"  {metric:<52} {value:<36} goal {goal:<10} {verdict}", flush=True)


def _settings(url: str, **extra: Any) -> Any:
    values: dict[str, Any] = {
        "sources": [
            {"name": "aws", "provider": "healthomics", "region": "us-east-1", "endpoint_url": url}
        ],
        "cursors": {"keys": [CURSOR_KEY]},
        "limits": LIMITS,
    }
    values.update(extra)
    return load_settings(None, **values)


async def _timed(
    client: httpx.AsyncClient, url: str, query: str, parts: list[int] | None = None
) -> tuple[float, float]:
    """(seconds to the first byte of the body, seconds to its end); `parts` gets the number of
    multipart parts."""
    start = time.perf_counter()
    first = 0.0
    boundaries = 0
    async with client.stream(
        "POST",
        url,
        json={"query": query},
        headers={"accept": "multipart/mixed", "cache-control": "no-cache"},
    ) as resp:
        resp.raise_for_status()
        async for chunk in resp.aiter_raw():
            if chunk and not first and b"{" in chunk:
                first = time.perf_counter() - start
            boundaries += chunk.count(b"\r\n---")
    if parts is not None:
        parts.append(boundaries)
    return first, time.perf_counter() - start


async def incremental_section() -> None:
    with emulator_process() as emu:
        dataset = emu.dataset()
        batch = dataset["reference"]["healthomics"]["batchId"]
        region = next(iter(dataset["healthomics"].values()))
        other = next(b for b in region["batches"] if b != batch)
        # Opens the upstream client and its connections (as benchmarks.run does), not timed.
        warm = f'{{ batch(source: "aws", id: "{other}") {{ runs(first: 1) {{ edges {{ node {{ name }} }} }} }} }}'
        emu.fault("*", latency_ms=LATENCY_MS)
        plain = f'query Plain {{ batch(source: "aws", id: "{batch}") {{ {SELECTION} }} }}'
        streamed = plain.replace("Plain", "Streamed").replace(
            "runs(first: 100) { edges {", "runs(first: 100) { edges @stream(initialCount: 0) {"
        )
        assert streamed != plain
        # `gateway serve` in its own process: a gateway in this one would share the client's
        # GIL, and the 100 streamed items it starts right after the first part kept the client
        # from reading that part for up to ~10 ms.
        cfg = toml_config(
            emu.url,
            graphql={"incremental": True},
            limits=LIMITS,
        )
        firsts, fulls, plains, parts = [], [], [], []
        for _ in range(3):  # a fresh gateway each time: every upstream read is cold
            with gateway_process(cfg) as url:
                async with httpx.AsyncClient(timeout=120) as client:
                    await client.post(url, json={"query": warm})
                    first, full = await _timed(client, url, streamed, parts)
                    firsts.append(first)
                    fulls.append(full)
            with gateway_process(cfg) as url:
                async with httpx.AsyncClient(timeout=120) as client:
                    await client.post(url, json={"query": warm})
                    plains.append((await _timed(client, url, plain))[1])
        floor = 2 * LATENCY_MS / 1000
        first = sorted(firsts)[1]
        report(
            "first part with @stream ÷ critical path (2 × 20 ms)",
            f"{first * 1000:.0f} ms ÷ {floor * 1000:.0f} ms = {first / floor:.2f}",
            "≤ 1.5",
            first / floor <= 1.5,
        )
        full, whole = sorted(fulls)[1], sorted(plains)[1]
        report(
            "whole tree: streamed ÷ plain (cold)",
            f"{full * 1000:.0f} ms ÷ {whole * 1000:.0f} ms = {full / whole:.2f}",
            "-",
            None,
        )
        report("parts of the streamed answer (patches coalesced)", str(parts[-1]), "-", None)


async def _subscribe(url: str, run_ids: list[str], per_run: int) -> list[Any]:
    sockets = []
    for run in run_ids:
        ws = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        await ws.recv()
        query = "subscription($id: ID!) { runUpdated(id: $id) { status } }"
        for i in range(per_run):
            payload = {"query": query, "variables": {"id": global_id("HealthOmicsRun", "aws", run)}}
            await ws.send(json.dumps({"id": str(i), "type": "subscribe", "payload": payload}))
        sockets.append(ws)
    return sockets


async def _get_runs_per_run_minute(
    replicas: int, redis_url: str | None, interval: float, seconds: float
) -> float:
    emu = create_emulator(seed=3, scale="small", quotas=False)
    runs = [r["id"] for r in emu.healthomics.all_runs() if r["status"] == "RUNNING"][:5]
    with LoopbackServer(emu.app) as upstream:
        extra: dict[str, Any] = {
            "subscriptions": {"poll_interval_seconds": interval, "max_interval_seconds": interval}
        }
        if redis_url is not None:
            extra["cache"] = {"url": redis_url}
        cfg = _settings(upstream.url, **extra)
        servers = [LoopbackServer(create_app(cfg)) for _ in range(replicas)]
        for server in servers:
            server.__enter__()
        try:
            sockets = []
            for server in servers:
                ws_url = server.url.replace("http://", "ws://") + "/graphql"
                sockets += await _subscribe(ws_url, runs, per_run=4)
            await asyncio.sleep(1.0)
            emu.calls.clear()
            await asyncio.sleep(seconds)
            calls = emu.calls.counts().get("omics:GetRun", 0)
            for ws in sockets:
                await ws.close()
        finally:
            for server in servers:
                server.__exit__(None, None, None)
    return calls / len(runs) / (seconds / 60)


async def scale_section(seconds: float) -> None:
    interval = 0.5
    with redis_process() as redis_url:
        rates = {}
        for n in (1, 2, 3):
            import redis

            redis.Redis.from_url(redis_url).flushall()
            rates[n] = await _get_runs_per_run_minute(n, redis_url, interval, seconds)
            report(
                f"GetRun per watched run per minute, {n} replica(s), Redis",
                f"{rates[n]:.0f} (1 poller at {interval} s = {60 / interval:.0f})",
                "-",
                None,
            )
        alone = await _get_runs_per_run_minute(2, None, interval, seconds)
        report(
            "same, 2 replicas without Redis (baseline)",
            f"{alone:.0f}",
            "-",
            None,
        )
        ratio = rates[3] / rates[1]
        report("GetRun rate, 3 replicas ÷ 1 replica", f"{ratio:.2f}", "≈ 1.0", 0.8 <= ratio <= 1.25)


async def main(sections: set[str], seconds: float) -> None:
    demo_credentials()
    if "incremental" in sections:
        await incremental_section()
    if "scale" in sections:
        await scale_section(seconds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.live", description=__doc__)
    parser.add_argument("--only", nargs="*", default=["incremental", "scale"])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(main(set(args.only), args.seconds))
