"""The sync as separate processes: kill -9 mid-sweep, leases across processes, quota share."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.catalog.tables import leases, runs, tasks
from gateway.config import Settings
from tests.catalog.emulated import catalog_settings, open_catalog, private_emulator, truth
from tests.catalog.test_sync import catalogued
from tests.conftest import HO_SOURCE, Upstreams


@pytest.fixture(scope="module")
def emulated(upstreams: Upstreams) -> Iterator[Upstreams]:
    with private_emulator() as up:
        yield up


def env_for(settings: Settings) -> dict[str, str]:
    """The settings as GATEWAY_* variables (JSON per section), for a child process."""
    dumped = settings.model_dump(mode="json", exclude_none=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    for section in ("sources", "catalog", "limits", "cursors"):
        env[f"GATEWAY_{section.upper()}"] = json.dumps(dumped[section])
    return env


def start_syncer(settings: Settings, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway", "catalog", "sync", *args],
        env=env_for(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def until(check: Any, timeout: float, step: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(step)
    raise AssertionError("condition not met in time")


async def test_kill_9_mid_sweep_then_restart_equals_the_ground_truth(
    emulated: Upstreams, catalog_url: str
) -> None:
    # Slow enough (paced at 8 calls/s) that the kill lands mid-sweep.
    slow = catalog_settings(
        emulated, catalog_url, fallback_rate=10.0, quota_share=0.9, lease_seconds=2.0
    )
    slow = slow.model_copy(
        update={"limits": slow.limits.model_copy(update={"tencent_requests_per_second": 10})}
    )
    upstream, catalog = open_catalog(catalog_settings(emulated, catalog_url, lease_seconds=2.0))
    await catalog.open()
    try:
        child = start_syncer(slow, "--once")

        async def some_rows() -> bool:
            async with catalog.engine.connect() as conn:
                n = await conn.scalar(select(func.count()).select_from(runs))
            return (n or 0) >= 60

        try:
            await until(some_rows, 60)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        assert child.returncode == -signal.SIGKILL
        # Restarted (here, at full speed): once the dead process's leases expire, the sweeps
        # resume from their checkpoints and the catalogue equals the emulator's ground truth.
        pending = set(catalog.syncs)
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline:
            for name in list(pending):
                if await catalog.step_now(name):
                    pending.discard(name)
            await asyncio.sleep(0.2)
        assert not pending
        want = truth(emulated.emulator, catalog.settings)
        got = await catalogued(catalog)
        for name, runs_ in want.items():
            assert {k: (v, False) for k, v in runs_.items()} == got[name], name
        async with catalog.engine.connect() as conn:
            total = await conn.scalar(select(func.count()).select_from(runs))
            stored = (
                await conn.execute(
                    select(runs.c.native_id, tasks.c.native_id)
                    .join(tasks, tasks.c.run_id == runs.c.id)
                    .where(runs.c.source_key == catalog.keys[HO_SOURCE])
                    .order_by(runs.c.native_id, tasks.c.position)
                )
            ).all()
        assert total == sum(len(r) for r in want.values())  # nothing doubled
        by_run: dict[str, list[str]] = {}
        for run_id, task_id in stored:
            by_run.setdefault(run_id, []).append(task_id)
        ho = emulated.emulator.healthomics
        settled = [
            r for r, s in want[HO_SOURCE].items() if s in ("COMPLETED", "FAILED", "CANCELLED")
        ]
        assert sorted(by_run) == sorted(r for r in settled if ho.tasks(r))
        for run_id, ids in by_run.items():
            assert ids == [t["taskId"] for t in ho.tasks(run_id)]
    finally:
        await catalog.aclose()
        await upstream.aclose()


async def test_two_processes_one_syncer_per_source_and_take_over(
    emulated: Upstreams, postgres_url: str
) -> None:
    from tests.catalog.conftest import fresh_database

    url = await fresh_database(postgres_url)
    lease = 5.0
    settings = catalog_settings(emulated, url, lease_seconds=lease, sweep_interval_seconds=3.0)
    upstream, catalog = open_catalog(settings)
    await catalog.open()  # migrated before the children start
    children = [start_syncer(settings), start_syncer(settings)]
    try:
        names = {f"sync:{k}": n for n, k in catalog.keys.items()}

        async def holders() -> dict[str, str] | None:
            async with catalog.engine.connect() as conn:
                rows = (await conn.execute(select(leases.c.name, leases.c.holder))).all()
            held = {names[r.name]: r.holder for r in rows if r.name in names}
            return held if len(held) == len(names) else None

        first = await until(holders, 60)
        # Held steadily: sampled for a few lease periods, no source changes hands.
        for _ in range(3):
            await asyncio.sleep(lease / 2)
            assert await holders() == first
        pids = {c.pid: c for c in children}
        victim_pid = int(first[HO_SOURCE].split(":")[1])
        assert victim_pid in pids
        pids[victim_pid].send_signal(signal.SIGKILL)
        pids[victim_pid].wait(10)
        killed = time.monotonic()

        lost = {n for n, h in first.items() if h == first[HO_SOURCE]}

        async def taken_over() -> bool:
            now = await holders()
            return now is not None and all(now[n] != first[HO_SOURCE] for n in lost)

        await until(taken_over, 4 * lease, step=0.05)
        assert time.monotonic() - killed <= 2 * lease
        survivor = (await holders()) or {}
        assert len(set(survivor.values())) == 1  # one process now syncs every source
    finally:
        for c in children:
            if c.poll() is None:
                c.send_signal(signal.SIGKILL)
                c.wait(10)
        await catalog.aclose()
        await upstream.aclose()


async def test_the_sync_never_exceeds_its_share_of_a_quota(
    emulated: Upstreams, catalog_url: str
) -> None:
    rate, share = 40.0, 0.25  # paced: 40 × 0.9 headroom × 0.25 share = 9 calls/s
    settings = catalog_settings(emulated, catalog_url, quota_share=share)
    limits = settings.limits.model_copy(
        update={
            "upstream_rates": {
                f"healthomics:{op}": rate for op in ("GetRun", "ListRuns", "ListRunTasks")
            }
        }
    )
    settings = settings.model_copy(update={"limits": limits})
    upstream, catalog = open_catalog(settings)
    await catalog.open()
    emu = emulated.emulator
    try:
        emu.calls.clear()
        await catalog.sync_once(HO_SOURCE)
        calls = [c for c in emu.calls.calls() if c.service == "omics"]
        per_op = Counter(c.operation for c in calls)
        assert per_op["GetRun"] >= 30
        allowed = rate * settings.limits.upstream_rate_headroom * share
        for op in per_op:
            times = sorted(c.arrived or c.at for c in calls if c.operation == op)
            # In any one-second window, at most the paced share (+1 for the window's edge).
            worst = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
            assert worst <= allowed + 1, (op, worst, allowed)
    finally:
        await catalog.aclose()
        await upstream.aclose()
