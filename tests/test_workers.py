"""`gateway serve --workers 2` as real processes on loopback, over the emulator and a real Redis:
both workers answer on one port, share cursors and the rate budget, merge `/metrics`, stop
together on SIGTERM/SIGINT; and N > 1 is refused without the state they must share."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.workers.accept import ReusePortLoop, hold_port
from tests.conftest import CURSOR_KEY, Upstreams
from tests.demo_process import ROOT, free_port

STARTUP_SECONDS = 120.0  # two interpreters importing the gateway on a shared 2-core machine
TASKS = """query($run: String!, $after: String, $before: String, $first: Int, $last: Int) {
  run(source: "aws", id: $run) { tasks(first: $first, after: $after, last: $last, before: $before) {
    pageInfo { endCursor } edges { cursor node { nativeId } } } } }"""


def config(emulator_url: str, redis_url: str | None, keys: bool = True, extra: str = "") -> str:
    lines = [
        "[[sources]]",
        'name = "aws"',
        'provider = "healthomics"',
        'region = "us-east-1"',
        f'endpoint_url = "{emulator_url}"',
        "[auth]",
        'mode = "none"',
        "[limits]",
        "queries_per_minute = 0",
        "cost_points_per_hour = 0",
        'upstream_rates = { "healthomics:ListRunTasks" = 10.0 }',
    ]
    if keys:
        lines += ["[cursors]", f'keys = ["{CURSOR_KEY}"]']
    if redis_url is not None:
        lines += ["[cache]", f'url = "{redis_url}"']
    return "\n".join(lines) + "\n" + extra


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    base: str
    log: Path

    def workers(self) -> set[int]:
        """The supervisor's spawned workers (not multiprocessing's resource tracker)."""
        found = set()
        for p in psutil.Process(self.proc.pid).children():
            with suppress(psutil.ZombieProcess, psutil.NoSuchProcess):  # dead, not yet reaped
                if p.status() != psutil.STATUS_ZOMBIE and "spawn_main" in " ".join(p.cmdline()):
                    found.add(p.pid)
        return found


@contextmanager
def serve(text: str, *args: str) -> Iterator[Served]:
    """`gateway serve --config … --workers 2`, yielded once `/readyz` answers."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        path, log = Path(tmp) / "gateway.toml", Path(tmp) / "gateway.log"
        path.write_text(text)
        argv = [sys.executable, "-m", "gateway", "serve", "--config", str(path)]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*argv, "--port", str(port), "--workers", "2", *args],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        served = Served(proc, f"http://127.0.0.1:{port}", log)
        family = psutil.Process(proc.pid)
        try:
            _wait_ready(served)
            yield served
        finally:
            everyone = [family, *family.children(recursive=True)] if proc.poll() is None else []
            proc.terminate()
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=60)
            for p in psutil.wait_procs(everyone, timeout=30)[1]:
                p.kill()


def _wait_ready(served: Served) -> None:
    import time

    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert served.proc.poll() is None, served.log.read_text()
        try:
            if httpx.get(served.base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the gateway did not become ready:\n{served.log.read_text()}")


async def samples(client: httpx.AsyncClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    resp = await client.get("/metrics")
    assert resp.status_code == 200
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            found.setdefault(s.name, []).append((s.labels, s.value))
    return found


async def begun(client: httpx.AsyncClient) -> dict[int, float]:
    """HTTP requests each live worker has begun (this scrape included), by pid."""
    return {int(lb["pid"]): v for lb, v in (await samples(client))["gateway_worker_requests"]}


@asynccontextmanager
async def pinned(base: str) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """A client on one kept-alive connection, and the pid of the worker that accepted it: the
    one whose count grew between two scrapes made through that connection."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        before, after = await begun(client), await begun(client)
        grown = [pid for pid, n in after.items() if n > before.get(pid, 0)]
        assert len(grown) == 1, (before, after)
        yield client, grown[0]


@asynccontextmanager
async def on_two_workers(base: str) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two clients whose connections two different workers accepted (new connections until the
    kernel hands one to the other worker; bounded)."""
    async with pinned(base) as (a, pid_a):
        for _ in range(60):
            async with pinned(base) as (b, pid_b):
                if pid_b != pid_a:
                    yield a, b
                    return
        raise AssertionError("60 new connections all went to one worker")


def post(client: httpx.AsyncClient, query: str, **variables: object) -> Awaitable[httpx.Response]:
    return client.post("/graphql", json={"query": query, "variables": variables})


def longest_run(upstreams: Upstreams) -> str:
    ho = upstreams.emulator.healthomics
    done = [str(r["id"]) for r in ho.all_runs() if r["status"] == "COMPLETED"]
    return max(done, key=lambda r: len(ho.tasks(r)))


@pytest.fixture(scope="module")
def workers(upstreams: Upstreams, redis_server_url: str) -> Iterator[Served]:
    import redis

    client = redis.Redis.from_url(redis_server_url)
    client.flushall()
    client.close()
    with serve(config(upstreams.url, redis_server_url)) as served:
        yield served


@pytest.fixture
def emulator(upstreams: Upstreams) -> Iterator[Upstreams]:
    upstreams.emulator.faults.reset(quotas=False)
    upstreams.emulator.calls.clear()
    yield upstreams
    upstreams.emulator.faults.reset(quotas=False)


async def test_both_workers_answer_and_metrics_merge(workers: Served, emulator: Upstreams) -> None:
    ho = emulator.emulator.healthomics
    runs = [str(r["id"]) for r in ho.all_runs() if r["status"] != "DELETED"][:20]
    q = 'query Spread($r: String!) { run(source: "aws", id: $r) { name } }'
    async with on_two_workers(workers.base) as (a, b):
        answers = await asyncio.gather(
            *(post(a, q, r=r) for r in runs[:10]), *(post(b, q, r=r) for r in runs[10:])
        )
        assert all(r.json()["data"]["run"]["name"] for r in answers)
        # Both workers served, they are the supervisor's two children, and either one's
        # /metrics reports the figures of both, summed.
        counts_a, counts_b = await begun(a), await begun(b)
        assert set(counts_a) == set(counts_b) == workers.workers()
        assert len(counts_a) == 2
        emulated = emulator.emulator.calls.counts()
        assert emulated == {"omics:GetRun": 20}
        for client in (a, b):
            found = await samples(client)
            requests = found["gateway_graphql_requests_total"]
            assert [v for lb, v in requests if lb["operation"] == "Spread"] == [20.0]
            calls = found["gateway_upstream_calls_total"]
            assert sum(v for lb, v in calls if lb["operation"] == "GetRun") == 20.0


async def test_a_cursor_from_one_worker_continues_on_the_other(
    workers: Served, emulator: Upstreams
) -> None:
    run = longest_run(emulator)
    ids = [t["taskId"] for t in emulator.emulator.healthomics.tasks(run)]
    async with on_two_workers(workers.base) as (a, b):
        after = None
        for _ in range(3):  # A walks forward, learning the chain of upstream tokens (in Redis)
            body = (await post(a, TASKS, run=run, first=10, after=after)).json()
            after = body["data"]["run"]["tasks"]["pageInfo"]["endCursor"]
        # B answers A's cursor both ways: forward from it, and back along A's token chain.
        fwd = (await post(b, TASKS, run=run, first=5, after=after)).json()["data"]["run"]
        assert [e["node"]["nativeId"] for e in fwd["tasks"]["edges"]] == ids[30:35]
        back = (await post(b, TASKS, run=run, last=5, before=after)).json()["data"]["run"]
        assert [e["node"]["nativeId"] for e in back["tasks"]["edges"]] == ids[24:29]


@asynccontextmanager
async def clients_per_worker(base: str, each: int) -> AsyncIterator[list[list[httpx.AsyncClient]]]:
    """`each` pinned clients on each of the two workers (new connections until both have as
    many; bounded), so each worker serves several queries at once."""
    async with AsyncExitStack() as stack:
        by_pid: dict[int, list[httpx.AsyncClient]] = {}
        for _ in range(200):
            client, pid = await stack.enter_async_context(pinned(base))
            if len(by_pid.setdefault(pid, [])) < each:
                by_pid[pid].append(client)
            if len(by_pid) == 2 and all(len(c) == each for c in by_pid.values()):
                yield list(by_pid.values())
                return
        raise AssertionError(f"200 connections did not give {each} to each worker")


async def test_a_burst_of_connections_is_shared_by_the_workers(
    workers: Served, emulator: Upstreams
) -> None:
    """40 connections opened at once (as a load balancer or a load generator opens its pool)
    each ask once and are kept open: both workers answer a fair share. From one shared
    listening socket, the worker that woke first accepted the whole burst."""
    host, port = workers.base.removeprefix("http://").split(":")
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode()
    async with on_two_workers(workers.base):
        pass  # both workers are up and accepting (the fixture waits for one)
    async with pinned(workers.base) as (client, scraped):
        before = await begun(client)
        opened = await asyncio.gather(
            *(asyncio.open_connection(host, int(port)) for _ in range(40))
        )
        try:
            for _, writer in opened:
                writer.write(request)
            for reader, _ in opened:
                assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
            after = await begun(client)
        finally:
            for _, writer in opened:
                writer.close()
    grown = {pid: after[pid] - before.get(pid, 0) for pid in after}
    grown[scraped] -= 1  # the second scrape
    served = sorted(grown.values())
    assert sum(served) == 40 and len(served) == 2
    assert served[0] >= 8, f"40 connections were accepted {served[0]} / {served[1]}"


async def test_workers_draw_from_one_rate_budget(workers: Served, emulator: Upstreams) -> None:
    """Each worker paces ListRunTasks at 9/s; the emulator holds a 10/s bucket (10 to start)
    and answers 429 past it. Apart, two workers would send 18/s: 58 calls overrun it by ~16."""
    ho = emulator.emulator.healthomics
    skip = longest_run(emulator)  # its pages are cached by the cursor test
    runs = [str(r["id"]) for r in ho.all_runs() if r["status"] != "DELETED" and r["id"] != skip]
    asks = [(run, size) for run in runs for size in (5, 7)]  # distinct pages: one call each
    assert len(asks) >= 58
    emulator.emulator.faults.configure("omics", "ListRunTasks", quota_rps=10.0)
    q = """query($r: String!, $n: Int!) { run(source: "aws", id: $r) {
      tasks(first: $n) { edges { node { nativeId } } } } }"""
    async with clients_per_worker(workers.base, 4) as (on_a, on_b):
        clients = [c for pair in zip(on_a, on_b, strict=True) for c in pair]
        answers = await asyncio.gather(
            *(post(clients[i % len(clients)], q, r=r, n=n) for i, (r, n) in enumerate(asks))
        )
    assert all(not r.json().get("errors") for r in answers), [r.json() for r in answers]
    listed = [c for c in emulator.emulator.calls.calls() if c.operation == "ListRunTasks"]
    assert len(listed) == len(asks)
    assert [c for c in listed if c.status == 429] == []


async def test_a_killed_worker_is_replaced_and_its_counts_kept(
    workers: Served, emulator: Upstreams
) -> None:
    """uvicorn's supervisor starts a new worker; prometheus-client is told the old one is gone
    (its live gauge leaves /metrics) while the counters it added stay in the merged figures."""
    before = workers.workers()
    victim = min(before)
    async with httpx.AsyncClient(base_url=workers.base, timeout=60) as client:
        spread = await samples(client)
        counted = [lb for lb, _ in spread["gateway_graphql_requests_total"]]
        os.kill(victim, signal.SIGKILL)
        pids: set[int] = set()
        for _ in range(1200):  # bounded: until the replacement serves
            now = workers.workers()
            if victim not in now and len(now) == 2:
                pids = set(await begun(client))
                if pids == now:
                    break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"killed {victim}; workers {workers.workers()}, /metrics {pids}")
        after = await samples(client)
    assert victim not in {int(lb["pid"]) for lb, _ in after["gateway_worker_requests"]}
    kept = {tuple(lb.items()): v for lb, v in after["gateway_graphql_requests_total"]}
    assert all(kept[tuple(lb.items())] >= 1 for lb in counted)
    assert kept[(("operation", "Spread"), ("outcome", "success"))] == 20.0


def sync_leases(database: Path) -> list[tuple[str, str]]:
    """The catalogue's live sync leases: (name, holder)."""
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT name, holder FROM catalog_leases WHERE name LIKE 'sync:%' "
            "AND expires_ms > CAST(strftime('%s','now') AS INTEGER) * 1000"
        ).fetchall()
    return [(str(name), str(holder)) for name, holder in rows]


async def held_leases(database: Path) -> list[tuple[str, str]]:
    for _ in range(600):  # bounded: the first worker to open the catalogue takes the lease
        if database.exists():
            try:
                found = sync_leases(database)
            except sqlite3.OperationalError:  # not migrated yet
                found = []
            if found:
                return found
        await asyncio.sleep(0.1)
    raise AssertionError("no worker took the catalogue's sync lease")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_stops_every_worker_after_its_in_flight_query(
    sig: signal.Signals, emulator: Upstreams, redis_url: str, tmp_path: Path
) -> None:
    catalog = f'[catalog]\nenabled = true\ndata_dir = "{tmp_path}"\n'
    with serve(config(emulator.url, redis_url, extra=catalog)) as served:
        workers = served.workers()
        assert len(workers) == 2
        family = psutil.Process(served.proc.pid)
        everyone = [family, *family.children(recursive=True)]
        env = psutil.Process(min(workers)).environ()
        metrics_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"])
        assert metrics_dir.is_dir()
        # The catalogue syncs each source under one lease across both workers.
        leases = await held_leases(tmp_path / "catalog.sqlite3")
        assert len(leases) == 1 and int(leases[0][1].split(":")[1]) in workers, leases

        batch = emulator.emulator.healthomics.batch_ids()[0]
        q = f'{{ batch(source: "aws", id: "{batch}") {{ name status }} }}'
        emulator.emulator.faults.configure("omics", "GetBatch", latency_ms=3000)
        async with (
            pinned(served.base) as (watcher, _),
            httpx.AsyncClient(base_url=served.base, timeout=60) as asker,
        ):
            start = sum((await begun(watcher)).values())
            slow = asyncio.create_task(asker.post("/graphql", json={"query": q}))
            for scrape in range(1, 600):  # each scrape counts itself; one more is the query
                if sum((await begun(watcher)).values()) > start + scrape:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the slow query never reached a worker")
            os.kill(served.proc.pid, sig)  # while the query waits on its upstream call
            answer = await slow
        assert answer.status_code == 200
        assert answer.json()["data"]["batch"]["name"], answer.json()
        assert served.proc.wait(timeout=90) == 0, served.log.read_text()
        assert psutil.wait_procs(everyone, timeout=30)[1] == [], "no worker outlives the parent"
        assert not metrics_dir.exists(), "the metrics directory is removed"
        assert sync_leases(tmp_path / "catalog.sqlite3") == [], "leases given back on shutdown"
        assert "Traceback" not in served.log.read_text()


def gateway_serve(*args: str) -> subprocess.CompletedProcess[str]:
    port = str(free_port())
    argv = [sys.executable, "-m", "gateway", "serve", "--port", port, *args]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize(
    ("redis", "keys", "named"),
    [
        (False, True, ["[cache] url"]),
        (True, False, ["[cursors] keys"]),
        (False, False, ["[cache] url", "[cursors] keys"]),
    ],
    ids=["no-redis", "no-cursor-keys", "neither"],
)
def test_more_than_one_worker_is_refused_without_shared_state(
    redis: bool, keys: bool, named: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(config("http://127.0.0.1:9", "redis://127.0.0.1:9/0" if redis else None, keys))
    done = gateway_serve("--config", str(path), "--workers", "2")
    assert done.returncode == 2, done.stderr
    assert "--workers 2 needs state the workers share" in done.stderr
    for name in named:
        assert name in done.stderr
    assert "--workers 1" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_workers_must_be_a_positive_number_or_auto() -> None:
    done = gateway_serve("--demo", "--workers", "0")
    assert done.returncode == 2
    assert "--workers: must be a positive number or 'auto'" in done.stderr


def test_the_demo_with_workers_needs_redis_too(tmp_path: Path) -> None:
    """The demo has its cursor key but no Redis: refused, its emulator and clock stopped."""
    done = gateway_serve("--demo", "--workers", "2", "--data-dir", str(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "[cache] url" in done.stderr and "[cursors] keys" not in done.stderr


def test_each_worker_loop_listens_on_its_own_socket_with_nodelay() -> None:
    """The workers' loop serves the parent's held socket through a listener of its own on the
    same port, whose connections have TCP_NODELAY (else answers wait on delayed ACKs); the held
    socket itself never listens, so no connection can queue where nobody accepts."""
    held = hold_port("127.0.0.1", 0)
    port = held.getsockname()[1]
    loop = ReusePortLoop()
    nodelay: list[int] = []

    class Answer(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def serve_twice_and_connect() -> None:
        servers = [await loop.create_server(Answer, sock=held) for _ in range(2)]
        assert {s.sockets[0].getsockname()[1] for s in servers} == {port}
        assert held.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 0
        for _ in range(4):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert await reader.read() == b""  # accepted, then closed by the server
            writer.close()
        for server in servers:
            server.close()
            await server.wait_closed()

    try:
        loop.run_until_complete(serve_twice_and_connect())
    finally:
        loop.close()
        held.close()
    assert nodelay == [1, 1, 1, 1]
