"""`python -m benchmarks.ui`: issue 18's figures for the dashboard, in Debian's chromium.

1. The Run view of a 1,000-task run: time from the data's arrival in the page (every task page
   answered) to the view rendered and painted (goal ≤ 1 s), from the page's own performance
   marks; beside it, the whole time from navigation (the gateway's ten task pages included).
2. The Runs view paging through 100 rows (4 × 25) forward, back and forward again: GraphQL
   queries sent (goal: 4, one per page it did not have).

The emulator runs in this process with one extra HealthOmics run of 1,000 tasks (a settled
run's plan with more tasks); the gateway serves it and the `small` world's HealthOmics and
Tencent runs (about 200) with the catalogue on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright

from benchmarks.procs import CURSOR_KEY, demo_credentials
from gateway.app import create_app
from gateway.config import load_settings
from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.server import LoopbackServer
from gateway.emulator.tencent.auth import DEMO_CREDENTIALS as TENCENT_CREDENTIALS
from gateway.graph.ids import global_id

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TASKS = 1_000
BIG_RUN_ID = "9000001"


def report(metric: str, value: str, goal: str, met: bool | None) -> None:
    verdict = "n/a" if met is None else ("met" if met else "MISSED")
    print(f"  {metric:<52} {value:<30} goal {goal:<8} {verdict}", flush=True)


def big_run(emu: Emulator) -> str:
    """A settled run's plan with 1,000 tasks, known to GetRun and ListRunTasks."""
    ho = emu.healthomics
    done = next(r for r in ho.all_runs() if r["status"] == "COMPLETED")
    plan = ho.run_plan(done["id"])
    k = max(ho.run_plan(r["id"]).k for r in ho.all_runs()) + 1
    ho.add_run(
        dataclasses.replace(
            plan, k=k, id=BIG_RUN_ID, name="benchmark-1000-tasks", n_tasks=TASKS, parallel=64
        )
    )
    return BIG_RUN_ID


def settings(url: str, data_dir: Path) -> Any:
    return load_settings(
        None,
        sources=[
            {"name": "aws", "provider": "healthomics", "region": "us-east-1", "endpoint_url": url},
            {
                "name": "tencent",
                "provider": "tencent-omics",
                "region": "ap-guangzhou",
                "endpoint_url": url,
            },
        ],
        cursors={"keys": [CURSOR_KEY]},
        ui={"enabled": True},
        limits={
            "upstream_rates": {},
            "tencent_requests_per_second": 10_000,
            "queries_per_minute": 0,
            "cost_points_per_hour": 0,
        },
        catalog={
            "enabled": True,
            "url": f"sqlite+aiosqlite:///{data_dir / 'catalog.sqlite3'}",
            "fallback_rate": 10_000.0,
            "quota_share": 1.0,
        },
    )


def wait_synced(base: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = httpx.post(
            f"{base}/graphql", json={"query": "{ catalog { sources { lastSweepAt } } }"}
        ).json()
        sources = ((body.get("data") or {}).get("catalog") or {}).get("sources") or []
        if sources and all(s["lastSweepAt"] for s in sources):
            return
        time.sleep(0.5)
    raise SystemExit("the catalogue did not sweep in 2 minutes")


async def until(page: Page, predicate: str, arg: Any = None, timeout: float = 120.0) -> None:
    """Polls with evaluate(): the page's CSP refuses the eval wait_for_function relies on."""
    deadline = time.monotonic() + timeout
    while not await page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise TimeoutError(predicate)
        await asyncio.sleep(0.01)


async def run_view(page: Page, base: str, gid: str, rounds: int) -> None:
    renders, wholes = [], []
    for _ in range(rounds):
        await page.goto("about:blank")
        start = time.perf_counter()
        await page.goto(f"{base}/ui/#/run/{gid}")
        await until(page, "() => performance.getEntriesByName('ui:run-painted').length > 0")
        wholes.append(time.perf_counter() - start)
        marks = await page.evaluate(
            "() => ['ui:run-data', 'ui:run-painted'].map(n => performance.getEntriesByName(n)[0].startTime)"
        )
        bars = await page.locator(".gantt li.task").count()
        assert bars == TASKS, f"{bars} bars for {TASKS} tasks"
        renders.append((marks[1] - marks[0]) / 1000)
    render = statistics.median(renders)
    report(
        f"Run view, {TASKS} tasks: data arrival → painted",
        f"{render * 1000:.0f} ms (median of {rounds})",
        "≤ 1 s",
        render <= 1.0,
    )
    report(
        "  (navigation → painted, ten task pages included)",
        f"{statistics.median(wholes):.2f} s",
        "-",
        None,
    )


async def runs_paging(page: Page, base: str) -> None:
    sent: list[str] = []
    page.on(
        "request",
        lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/graphql") else None,
    )
    await page.goto(f"{base}/ui/#/runs?size=25")
    await page.wait_for_selector("table.runs tbody tr")
    rows: set[str] = set()

    async def shown() -> None:
        await page.wait_for_selector("main [role=status].state-msg", state="detached")
        for rid in await page.locator("table.runs tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.id)"
        ):
            rows.add(rid)

    await shown()
    for direction in ["next"] * 3 + ["prev"] * 3 + ["next"] * 3:
        first = await page.locator("table.runs tbody tr").first.get_attribute("data-id")
        await page.click(f"a[data-page={direction}]")
        await until(
            page, "f => document.querySelector('table.runs tbody tr')?.dataset.id !== f", first
        )
        await shown()
    report(
        f"Runs view: {len(rows)} rows paged forward, back, forward",
        f"{len(sent)} queries",
        "4",
        len(sent) == 4 and len(rows) == 100,
    )


async def main(rounds: int) -> None:
    demo_credentials()
    tencent_id, tencent_key = next(iter(TENCENT_CREDENTIALS.items()))
    os.environ["TENCENTCLOUD_SECRET_ID"] = tencent_id
    os.environ["TENCENTCLOUD_SECRET_KEY"] = tencent_key
    emu = create_emulator(seed=0, scale="small", quotas=False)
    gid = global_id("HealthOmicsRun", "aws", big_run(emu))
    with (
        tempfile.TemporaryDirectory() as tmp,
        LoopbackServer(emu.app) as upstream,
        LoopbackServer(create_app(settings(upstream.url, Path(tmp)))) as gateway,
    ):
        wait_synced(gateway.url)
        print("benchmarks.ui (Debian's chromium, headless; shared machine)")
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await run_view(page, gateway.url, gid, rounds)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await runs_paging(page, gateway.url)
            await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
