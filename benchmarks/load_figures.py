"""Load figures that separate the gateway from the upstream (issue 17, item 4).

Per query shape: one cold answer (nothing cached; the gateway paces at the documented quotas,
which the emulator enforces) beside the pacing floor those quotas impose on the calls the shape
needs — what no client of the same account can beat — and the same query served from cache
(0 upstream calls). Then cached queries from 50 concurrent clients against `gateway serve
--workers 1` and `--workers 2`: p50/p95/p99, q/s, and queries per CPU-second of the gateway's
processes (q/s per core). The cached load comes from wrk (C; benchmarks/wrk.py says why not a
Python client); the emulator runs in this process. All share the machine's cores.

    .venv/bin/python -m benchmarks.load_figures [--seconds 5] [--clients 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from prometheus_client.parser import text_string_to_metric_families

from benchmarks import wrk
from benchmarks.procs import demo_credentials, free_port, redis_process, toml_config
from gateway.config import DEFAULT_UPSTREAM_RATES
from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.server import LoopbackServer
from gateway.security.auth import new_api_key

Report = Callable[[str, str, str, bool | None], None]
LATENCY_MS = 20.0
CACHED_P99_GOAL_MS = 50.0
COLD_SAMPLES = 3
SETTLED = {"COMPLETED", "FAILED", "CANCELLED", None}  # None: a submission that made no run

TREE = """query Tree($b: String!) { batch(source: "aws", id: $b) { name state
  runs(first: 10) { edges { node { name state
    tasks(first: 5) { edges { node { name state } } } } } } } }"""
RUN = """query Run($r: String!) { run(source: "aws", id: $r) { name status startedAt
  tasks(first: 20) { pageInfo { hasNextPage } edges { node { name status } } } } }"""
LISTING = """query Listing($n: Int!) { runs(source: "aws", status: "COMPLETED", first: $n) {
  edges { cursor node { name state } } } }"""


def shapes(emulator: Emulator, count: int) -> dict[str, list[dict[str, Any]]]:
    """Up to `count` distinct variable sets per shape, each cold the first time it is asked.

    Settled objects only (their upstream results keep for an hour): a live run's record keeps
    for seconds, so a query over it is never "cached" for long, by design.
    """
    ho = emulator.healthomics
    status = {r["id"]: r["status"] for r in ho.all_runs()}

    def settled(batch: str) -> bool:
        shown = ho.runs_in_batch(batch)[:10]  # the tree's runs(first: 10)
        return len(shown) == 10 and all(status.get(s.get("runId")) in SETTLED for s in shown)

    batches = [b for b in ho.batch_ids() if settled(b)][:count]
    # Runs outside those batches: the tree shape must not have warmed them.
    in_trees = {s.get("runId") for b in batches for s in ho.runs_in_batch(b)}
    runs = [r for r, st in status.items() if st == "COMPLETED" and r not in in_trees]
    return {
        # Opens the gateway's upstream client before anything is timed.
        "": [{"query": RUN, "variables": {"r": runs[0]}}],
        "batch tree (10 runs × 5 tasks)": [{"query": TREE, "variables": {"b": b}} for b in batches],
        "run + 20 tasks": [{"query": RUN, "variables": {"r": r}} for r in runs[1 : count + 1]],
        "completed runs listing (25)": [
            {"query": LISTING, "variables": {"n": 25 - i}} for i in range(count)
        ],
    }


def pacing_floor(calls: dict[str, int]) -> tuple[float, str]:
    """Seconds the documented quotas impose on `calls` (`omics:Op` → count). A quota is a token
    bucket holding one second of calls (as the emulator enforces it; AWS documents the rate
    only), so n calls of an operation need (n − quota) / quota past the first second's worth;
    operations have separate quotas, so the slowest one is the floor."""
    floor, why = 0.0, "every paced operation fits its bucket"
    for key, n in calls.items():
        quota = DEFAULT_UPSTREAM_RATES.get(f"healthomics:{key.split(':', 1)[1]}")
        if quota is not None and (n - quota) / quota > floor:
            floor, why = (n - quota) / quota, f"{n} {key.split(':', 1)[1]} at {quota:.0f}/s"
    return floor, why


@asynccontextmanager
async def gateway(config: str, workers: int) -> AsyncIterator[tuple[str, psutil.Process]]:
    """`gateway serve --workers N` in its own processes; yields its base URL and the parent."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gateway.toml"
        path.write_text(config)
        argv = [sys.executable, "-m", "gateway", "serve", "--config", str(path)]
        argv += ["--port", str(port), "--workers", str(workers)]
        log = open(os.environ.get("LOAD_GATEWAY_LOG", os.devnull), "ab")  # noqa: SIM115
        proc = subprocess.Popen(argv, stdout=log, stderr=log)
        parent = psutil.Process(proc.pid)
        base = f"http://127.0.0.1:{port}"
        try:
            await _until_workers(base, proc, workers)
            yield base, parent
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


async def _until_workers(base: str, proc: subprocess.Popen[bytes], workers: int) -> None:
    deadline = time.monotonic() + 180
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {proc.returncode}")
            try:
                if len(await per_worker(http, base)) >= workers:
                    return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the gateway's workers did not come up")


async def scrape(http: aiohttp.ClientSession, base: str) -> list[Any]:
    async with http.get(base + "/metrics") as resp:
        text = await resp.text()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


async def per_worker(http: aiohttp.ClientSession, base: str) -> dict[str, float]:
    """HTTP requests begun per live worker (one entry, no pid, with a single process)."""
    found = await scrape(http, base)
    return {s.labels.get("pid", "-"): s.value for s in found if s.name == "gateway_worker_requests"}


def cpu_seconds(parent: psutil.Process) -> float:
    procs = [parent, *parent.children(recursive=True)]
    return sum(t.user + t.system for t in (p.cpu_times() for p in procs))


async def cold_and_cached(
    base: str, key: str, emulator: Emulator, report: Report
) -> list[dict[str, Any]]:
    """Each shape cold (median of a few distinct ids) beside its pacing floor, then cached."""
    headers = {"X-API-Key": key}
    mix: list[dict[str, Any]] = []
    async with aiohttp.ClientSession(headers=headers) as http:
        found = shapes(emulator, 8)
        await _ask(http, base, found.pop("")[0])
        for name, bodies in found.items():
            colds, floors, throttled = [], [], 0
            for body in bodies[:COLD_SAMPLES]:
                emulator.calls.clear()
                start = time.perf_counter()
                await _ask(http, base, body)
                colds.append(time.perf_counter() - start)
                floors.append(pacing_floor(emulator.calls.counts()))
                throttled += sum(1 for c in emulator.calls.calls() if c.status == 429)
            for body in bodies[COLD_SAMPLES:]:
                await _ask(http, base, body)  # warm the rest for the load below
            emulator.calls.clear()
            warm = []
            for body in bodies[:COLD_SAMPLES] * 5:
                start = time.perf_counter()
                await _ask(http, base, body)
                warm.append(time.perf_counter() - start)
            upstream = sum(emulator.calls.counts().values())
            cold = statistics.median(colds)
            floor, why = max(floors)
            ratio = f"cold ÷ floor = {cold / floor:.2f}" if floor else "floor 0"
            report(
                f"load: {name}, cold",
                f"{cold * 1000:.0f} ms; floor {floor * 1000:.0f} ms ({why}); {ratio}; "
                f"{throttled} throttled",
                "(printed)",
                None,
            )
            report(
                f"load: {name}, from cache",
                f"p50 {statistics.median(warm) * 1000:.1f} ms, {upstream} upstream calls",
                "0 calls",
                upstream == 0,
            )
            if "listing" not in name:  # a live listing (new runs complete): keeps 5 s
                mix.extend(bodies)
    return mix


async def _ask(http: aiohttp.ClientSession, base: str, body: dict[str, Any]) -> None:
    async with http.post(base + "/graphql", json=body) as resp:
        answer = await resp.json()
    if resp.status != 200 or answer.get("errors"):
        raise RuntimeError(f"query failed: {resp.status} {str(answer)[:300]}")


async def cached_load(
    base: str,
    key: str,
    mix: list[dict[str, Any]],
    clients: int,
    seconds: float,
    parent: psutil.Process,
) -> dict[str, Any]:
    """`clients` concurrent connections (wrk, benchmarks/wrk.py) cycling through `mix` for
    `seconds`, after as long a warm-up at the same load, so every worker has kept every answer."""
    url, headers = base + "/graphql", {"X-API-Key": key}
    await asyncio.to_thread(wrk.run, url, mix, headers, connections=clients, seconds=seconds)
    async with aiohttp.ClientSession() as http:
        split_before = await per_worker(http, base)
        cpu_before = cpu_seconds(parent)
        load = await asyncio.to_thread(
            wrk.run, url, mix, headers, connections=clients, seconds=seconds
        )
        cpu = cpu_seconds(parent) - cpu_before
        split_after = await per_worker(http, base)
        fallbacks = sum(
            s.value
            for s in await scrape(http, base)
            if s.name == "gateway_redis_transitions_total" and s.labels["to"] == "memory"
        )
    served = {pid: split_after[pid] - split_before.get(pid, 0) for pid in split_after}
    return {
        "queries": load.requests,
        "qps": load.qps,
        "wall": load.seconds,
        "p50": load.p50,
        "p95": load.p95,
        "p99": load.p99,
        "failures": load.failures,
        "cpu": cpu,
        "fallbacks": fallbacks,
        "split": sorted(served.values(), reverse=True),
    }


async def section(report: Report, clients: int = 50, seconds: float = 5.0) -> None:
    """The whole load section: shapes cold/cached on one worker, then cached load on 1 and 2."""
    demo_credentials()
    emulator = create_emulator(seed=0, scale="demo", quotas=False)
    emulator.faults.configure("omics", "*", latency_ms=LATENCY_MS)
    emulator.faults.apply_preset("aws-quotas")  # HealthOmics' documented 10/s, enforced
    key, digest = new_api_key()
    auth = {"mode": "api_key"}
    with LoopbackServer(emulator.app) as upstream, redis_process() as redis_url:
        config = toml_config(
            upstream.url,
            cache={"url": redis_url},
            limits={"queries_per_minute": 0, "cost_points_per_hour": 0},
            auth=auth,
        )
        config += f'[[auth.api_keys]]\nname = "load"\nsha256 = "{digest}"\nsources = ["*"]\n'
        print(f"load: upstream latency {LATENCY_MS:.0f} ms, paced at the documented quotas")
        mix: list[dict[str, Any]] = []
        for workers in (1, 2):
            async with gateway(config, workers) as (base, parent):
                if not mix:
                    mix = await cold_and_cached(base, key, emulator, report)
                emulator.calls.clear()
                result = await cached_load(base, key, mix, clients, seconds, parent)
            counts = emulator.calls.counts()
            calls = ", ".join(f"{n} {op.split(':')[1]}" for op, n in counts.items()) or "0"
            split = "/".join(f"{n:.0f}" for n in result["split"])
            report(
                f"load: cached, {clients} clients, {workers} worker{'s' * (workers > 1)}",
                f"p50 {result['p50']:.1f}, p95 {result['p95']:.1f}, p99 {result['p99']:.1f} ms; "
                f"{result['qps']:.0f} q/s (per worker {split}); upstream calls: {calls}; "
                f"Redis fallbacks {result['fallbacks']:.0f}",
                f"p99 ≤ {CACHED_P99_GOAL_MS:.0f} ms",
                result["p99"] <= CACHED_P99_GOAL_MS and result["failures"] == 0,
            )
            # The gateway processes' CPU over the measured window: queries per CPU-second is
            # q/s per fully busy core, whatever else shared the machine.
            cpu = result["cpu"]
            per_core = result["queries"] / cpu if cpu else 0.0
            report(
                f"load: q/s per core, {workers} worker{'s' * (workers > 1)}",
                f"{per_core:.0f} queries per gateway CPU-second "
                f"({cpu:.1f} CPU-s in {result['wall']:.1f} s)",
                "(printed)",
                None,
            )


def print_report(metric: str, value: str, goal: str, met: bool | None) -> None:
    verdict = "n/a" if met is None else ("met" if met else "MISSED")
    print(f"  {metric:<44} {value:<34} goal {goal:<12} {verdict}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(section(print_report, args.clients, args.seconds))
