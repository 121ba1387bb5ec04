"""Bounded load: a few thousand queries from 50 concurrent clients against the gateway over the
emulator, reporting errors, latency and the gateway process's memory (RSS) before and after.

The gateway runs as its own process (`gateway serve --config …`, API-key auth on) so its RSS is
its own; the emulator runs in this process on loopback. Upstream pacing is off (`upstream_rates
= {}`): this measures the gateway, not HealthOmics' 10/s quota. Bounded in count and time; it
stops by itself.

    .venv/bin/python -m benchmarks.load [--queries 3000] [--clients 50] [--flood 300]

Then the abuse section (benchmarks/abuse.py): a flood of large unique documents sent as APQ
registrations, with the gateway's RSS before and after, printed beside the configured budgets.

First (skip with `--no-figures`) the figures that separate the gateway from the upstream
(benchmarks/load_figures.py, also `python -m benchmarks.run --only load`): per query shape cold
beside the quotas' pacing floor and from cache, then cached load on 1 and 2 workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

from benchmarks import load_figures
from benchmarks.abuse import flood
from gateway.config import LimitsConfig
from gateway.emulator.app import create_emulator
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.server import LoopbackServer
from gateway.security.auth import new_api_key

TIME_LIMIT_SECONDS = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def config(emulator_url: str, digest: str) -> str:
    return f"""
[[sources]]
name = "aws"
provider = "healthomics"
region = "us-east-1"
endpoint_url = "{emulator_url}"

[auth]
mode = "api_key"
[[auth.api_keys]]
name = "load"
sha256 = "{digest}"
sources = ["*"]

[cursors]
keys = ["load-test-cursor-key-000000000000"]

[limits]
queries_per_minute = 0
cost_points_per_hour = 0
upstream_rates = {{}}
"""


def workload(emulator: Any) -> list[tuple[str, dict[str, Any]]]:
    ho = emulator.healthomics
    batches = ho.batch_ids()
    runs = [str(r["id"]) for r in ho.all_runs() if r["status"] != "DELETED"]
    tree = """query($b: String!) { batch(source: "aws", id: $b) { name state
      runs(first: 10) { edges { node { name state
        tasks(first: 5) { edges { node { name state } } } } } } } }"""
    run = """query($r: String!) { run(source: "aws", id: $r) { name status startedAt
      tasks(first: 20) { pageInfo { hasNextPage } edges { node { name status } } } } }"""
    listing = 'query { runs(source: "aws", first: 25) { edges { cursor node { name state } } } }'
    mix: list[tuple[str, dict[str, Any]]] = []
    for i in range(max(len(batches), len(runs))):
        mix.append((tree, {"b": batches[i % len(batches)]}))
        mix.append((run, {"r": runs[i % len(runs)]}))
        mix.append((listing, {}))
    return mix


async def drive(url: str, key: str, mix: list[Any], total: int, clients: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    counter = iter(range(total))
    t0 = time.monotonic()
    deadline = t0 + TIME_LIMIT_SECONDS
    failures: list[str] = []

    async def client(http: httpx.AsyncClient) -> None:
        for i in counter:
            if time.monotonic() > deadline:
                return
            query, variables = mix[i % len(mix)]
            started = time.perf_counter()
            try:
                resp = await http.post(url, json={"query": query, "variables": variables})
                body = resp.json()
            except (httpx.HTTPError, ValueError) as exc:
                errors[type(exc).__name__] += 1
                failures.append(f"{time.monotonic() - t0:.2f}s {type(exc).__name__}: {exc!r}")
                continue
            latencies.append(time.perf_counter() - started)
            if resp.status_code != 200:
                errors[f"HTTP {resp.status_code}"] += 1
            for error in body.get("errors") or []:
                errors[error.get("extensions", {}).get("code", "UNCODED")] += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"X-API-Key": key}
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=headers) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    return {
        "queries": len(latencies),
        "seconds": round(elapsed, 2),
        "queries_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {
            "p50": pct(0.5),
            "p95": pct(0.95),
            "p99": pct(0.99),
            "mean": round(1000 * statistics.fmean(latencies), 1),
        },
        "errors": dict(errors),
        "error_total": sum(errors.values()),
        "transport_failures": failures[:10],
    }


def abuse_section(url: str, key: str, gateway: psutil.Process, count: int) -> dict[str, Any]:
    """RSS before and after a flood of large unique documents and APQ registrations, beside
    the budgets that bound what they may leave behind (the defaults: this config sets none)."""
    limits = LimitsConfig()
    budgets = {
        "document_cache_bytes": limits.document_cache_bytes,
        "persisted_query_bytes": limits.persisted_query_bytes,
        "kept_answer_bytes": limits.kept_answer_bytes,
    }
    before = gateway.memory_info().rss
    started = time.perf_counter()
    with httpx.Client(timeout=120, headers={"X-API-Key": key}) as client:
        statuses = flood(client, url, 0, count)
    after = gateway.memory_info().rss
    mib = 2**20
    return {
        "documents": count,
        "answers": statuses,
        "seconds": round(time.perf_counter() - started, 1),
        "rss_mb_before": round(before / mib, 1),
        "rss_mb_after": round(after / mib, 1),
        "rss_mb_grown": round((after - before) / mib, 1),
        "budgets_mb": {k: round(v / mib, 1) for k, v in budgets.items()},
        "budgets_mb_total": round(sum(budgets.values()) / mib, 1),
    }


def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"gateway exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("gateway did not become ready")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--scale", default="demo", choices=["small", "demo", "large"])
    parser.add_argument("--flood", type=int, default=300, help="large unique documents (abuse)")
    parser.add_argument("--no-figures", action="store_true", help="skip the load figures table")
    args = parser.parse_args()
    if not args.no_figures:
        asyncio.run(load_figures.section(load_figures.print_report, args.clients))

    emulator = create_emulator(seed=0, scale=args.scale, quotas=False)
    key, digest = new_api_key()
    port = free_port()
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID=DEMO_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=DEMO_SECRET_ACCESS_KEY)
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    with LoopbackServer(emulator.app) as upstream, tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "gateway.toml"
        cfg.write_text(config(upstream.url, digest))
        cmd = [sys.executable, "-m", "gateway", "serve", "--config", str(cfg), "--port", str(port)]
        log = open(os.environ.get("LOAD_GATEWAY_LOG", os.devnull), "wb")  # noqa: SIM115
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base, proc)
            gateway = psutil.Process(proc.pid)
            rss_before = gateway.memory_info().rss
            mix = workload(emulator)
            result = asyncio.run(drive(f"{base}/graphql", key, mix, args.queries, args.clients))
            rss_after = gateway.memory_info().rss
            abuse = abuse_section(f"{base}/graphql", key, gateway, args.flood)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    result.update(
        clients=args.clients,
        scale=args.scale,
        upstream_calls=sum(emulator.calls.counts().values()),
        rss_mb_before=round(rss_before / 2**20, 1),
        rss_mb_after=round(rss_after / 2**20, 1),
        abuse=abuse,
    )
    print(json.dumps(result, indent=2))
    return 0 if result["error_total"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
