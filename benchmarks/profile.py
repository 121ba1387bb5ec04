"""`python -m benchmarks.profile [cold|cpu]`: pyinstrument profiles of the reference tree.

`cold` profiles one cold query (empty caches, warm connections) through the ASGI app, as the
latency ratio measures it; `cpu` profiles the CPU section's execution (every upstream result
cached, no kept answer). Prints the profile as text; `--html PATH` writes it as HTML too.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from pathlib import Path
from typing import Any

from pyinstrument import Profiler

from benchmarks.procs import demo_credentials, emulator_process
from benchmarks.reference import reference_query
from benchmarks.run import LATENCY_MS, UNPACED, InProcess, _check, settings
from gateway.graph.context import Context


async def main(what: str, html: str | None, rounds: int, show_all: bool, flat: bool) -> None:
    demo_credentials()
    with emulator_process() as emu:
        dataset = emu.dataset()
        batch = dataset["reference"]["healthomics"]["batchId"]
        region = next(iter(dataset["healthomics"].values()))
        other = next(b for b in region["batches"] if b != batch)
        emu.fault("*", latency_ms=LATENCY_MS)
        cfg = settings(emu.url, limits=UNPACED)
        q = reference_query(batch)
        async with InProcess(cfg) as gw:
            _check(await gw.query(reference_query(other)))  # opens connections
            profiler: Any = Profiler(interval=0.0005, async_mode="enabled")
            if flat:
                profiler = cProfile.Profile()
                profiler.start = profiler.enable
                profiler.stop = profiler.disable
            if what == "cold":
                profiler.start()
                start = time.perf_counter()
                _check(await gw.query(q))
                print(f"cold: {(time.perf_counter() - start) * 1000:.0f} ms")
                profiler.stop()
            else:
                _check(await gw.query(q))
                upstream = gw.app.state.upstream
                profiler.start()
                for _ in range(rounds):
                    start = time.process_time()
                    result = await gw.schema.execute(q, context_value=Context.for_request(upstream))
                    print(f"cpu: {(time.process_time() - start) * 1000:.0f} ms")
                    assert result.errors is None, result.errors
                profiler.stop()
    if flat:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(45)
        stats.sort_stats("cumulative").print_stats(60)
        return
    print(profiler.output_text(unicode=True, color=False, show_all=show_all))
    if html:
        Path(html).write_text(profiler.output_html())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    parser.add_argument("what", choices=["cold", "cpu"])
    parser.add_argument("--html")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flat", action="store_true", help="cProfile, sorted by own time")
    parser.add_argument("--all", action="store_true", help="show library frames too")
    args = parser.parse_args()
    asyncio.run(main(args.what, args.html, args.rounds, args.all, args.flat))
