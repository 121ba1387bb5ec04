"""The 100 × 100 reference tree after the catalogue synced it ÷ bare graphql-core on the same data.

    .venv/bin/python -m benchmarks.catalog_tree

The emulator runs in its own process (demo scale, quotas off); the gateway in this process with
the catalogue on (SQLite in a scratch directory) syncs the HealthOmics source once, then answers
the reference tree: its settled runs' tasks come from the catalogue, so ListRunTasks is never
called (the other calls are counted and printed). Execution is timed like `benchmarks.run`'s CPU
section: medians of interleaved rounds, only the ratio means anything on a shared machine.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import time

from graphql import execute_sync, parse

from benchmarks import bare
from benchmarks.procs import demo_credentials, emulator_process
from benchmarks.reference import reference_query, shape
from benchmarks.run import UNPACED, InProcess, settings
from gateway.catalog.service import Catalog
from gateway.graph.context import Context

GOAL = 1.2


async def main() -> None:
    demo_credentials()
    with emulator_process() as emu, tempfile.TemporaryDirectory() as tmp:
        batch = emu.dataset()["reference"]["healthomics"]["batchId"]
        catalog = {
            "enabled": True,
            "sync": False,
            "url": f"sqlite+aiosqlite:///{tmp}/c.db",
            "quota_share": 1.0,
            "fallback_rate": 10_000.0,
        }
        cfg = settings(emu.url, limits=UNPACED, catalog=catalog)
        async with InProcess(cfg) as gw:
            cat: Catalog = gw.app.state.catalog
            started = time.perf_counter()
            await cat.sync_once("aws")
            synced = emu.calls()
            print(
                f"sync of the demo HealthOmics source: {time.perf_counter() - started:.0f} s, "
                f"calls {dict(sorted(synced.items()))}"
            )
            q = reference_query(batch)
            emu.clear_calls()
            body = await gw.query(q)
            assert not body.get("errors"), body["errors"][:3]
            data = body["data"]
            runs, tasks = shape(data)
            calls = emu.calls()
            print(f"reference tree: {runs} runs × {tasks} tasks; upstream calls {calls}")
            assert calls.get("omics:ListRunTasks", 0) == 0, "tasks were read upstream"

            schema, upstream = gw.schema, gw.app.state.upstream

            async def ours() -> None:
                result = await schema.execute(q, context_value=Context.for_request(upstream))
                assert result.errors is None, result.errors

            document = parse(q)
            roots = bare.plain_dicts(data)

            async def bare_core() -> None:
                execute_sync(bare.bare_schema, document, root_value=roots)

            rounds: dict[str, list[float]] = {"ours": [], "bare": []}
            for _ in range(5):
                for name, run in (("ours", ours), ("bare", bare_core)):
                    gc.collect()  # each from the same heap, as benchmarks.run's CPU section
                    start = time.process_time()
                    await run()
                    rounds[name].append(time.process_time() - start)
            t_ours, t_bare = (statistics.median(rounds[k]) for k in ("ours", "bare"))
            ratio = t_ours / t_bare
            verdict = "met" if ratio <= GOAL else "MISSED"
            print(
                f"tree after sync ÷ bare graphql-core: {t_ours * 1000:.0f} ms ÷ "
                f"{t_bare * 1000:.0f} ms = {ratio:.2f} (goal ≤ {GOAL}) {verdict}"
            )


if __name__ == "__main__":
    asyncio.run(main())
