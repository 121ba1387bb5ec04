"""`gateway catalog sync|purge|status`: the catalogue from the command line, no server needed."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable
from typing import TextIO

from gateway.catalog.records import source_key
from gateway.catalog.service import Catalog
from gateway.config import Settings
from gateway.upstream.loaders import Upstream
from gateway.upstream.wiring import ProviderFactory


def _progress(out: TextIO, done: int, total: int, name: str) -> None:
    """A one-line progress bar on a terminal; plain lines otherwise (logs, CI)."""
    if out.isatty():
        width = 30
        filled = width * done // max(total, 1)
        out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name:<24}")
        out.flush()
        if done == total:
            out.write("\n")
    else:
        out.write(f"synced {name} ({done}/{total})\n")


async def sync(
    settings: Settings,
    clouds: Iterable[ProviderFactory],
    source: str | None,
    once: bool,
    out: TextIO = sys.stderr,
) -> int:
    """Sweep every source (or one) under the same leases as `serve`; loop unless `once`."""
    upstream = Upstream.from_settings(settings, clouds)
    catalog = Catalog(settings, upstream.providers, limiter=upstream.limiter)
    try:
        await catalog.open()
        names = [n for n in catalog.syncs if source is None or n == source]
        if not names:
            out.write(f"gateway: no configured source {source!r}\n")
            return 2
        if not once:  # the same per-source loops as `serve`, until interrupted
            catalog.start(names)
            await asyncio.Event().wait()
        for i, name in enumerate(names, 1):
            try:
                swept = await catalog.step_now(name)
            except Exception as exc:  # reported, then the next source
                out.write(f"gateway: sync of {name} failed: {exc}\n")
                continue
            if swept:
                _progress(out, i, len(names), name)
            else:
                out.write(f"{name}: another process holds its lease; skipped\n")
        return 0
    finally:
        await catalog.aclose()
        await upstream.aclose()


async def purge(settings: Settings, out: TextIO = sys.stdout) -> int:
    """Drop rows past retention now, and every row of a source no longer configured."""
    catalog = Catalog(settings, {})
    try:
        await catalog.open()
        cfg = settings.catalog
        removed = await catalog.store.purge(
            [source_key(s) for s in settings.sources],
            retention_days=cfg.retention_days,
            deleted_retention_days=cfg.deleted_retention_days,
            orphan_retention_days=cfg.orphan_retention_days,
            orphans_now=True,
        )
        out.write(f"purged {removed} runs\n")
        return 0
    finally:
        await catalog.aclose()


async def status(settings: Settings, out: TextIO = sys.stdout) -> int:
    catalog = Catalog(settings, {})
    try:
        await catalog.open()
        keys = {s.name: source_key(s) for s in settings.sources}
        catalog.keys = keys
        for s in await catalog.status(list(keys)):
            last = "never" if s.last_sweep_at is None else time.ctime(s.last_sweep_at)
            out.write(
                f"{s.name}: {s.runs} runs, {s.settled_runs_with_tasks} with tasks, "
                f"last sweep {last}, last error {s.last_error or '-'}\n"
            )
        return 0
    finally:
        await catalog.aclose()
