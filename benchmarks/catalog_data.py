"""A generator of catalogued runs for the catalogue benchmark: N runs spread over D days.

Rows go straight into `catalog_runs` in batches (the sync's upserts are tested elsewhere; this
only has to fill a realistic table fast): three sources, the providers' real status values,
created times uniform over the span, durations log-normal (minutes to days), a few names,
workflows and batches per source.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.catalog.records import STATES as TABLES
from gateway.catalog.records import dumps
from gateway.catalog.tables import MISSING, runs
from gateway.clouds.datazone.states import KIND as DZ_KIND
from gateway.clouds.healthomics.states import KIND as HO_KIND
from gateway.clouds.tencent.states import KIND as TC_KIND

DAY_MS = 86_400_000
SOURCES = {
    "a" * 32: HO_KIND,
    "b" * 32: TC_KIND,
    "c" * 32: DZ_KIND,
}


def rows(n: int, days: int, end_ms: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    keys = list(SOURCES)
    statuses = {k: list(TABLES[k].runs) for k in SOURCES.values()}
    start_ms = end_ms - days * DAY_MS
    for i in range(n):
        key = keys[i % 3]
        kind = SOURCES[key]
        status = rng.choice(statuses[kind])
        state = TABLES[kind].runs[status]
        created = rng.randrange(start_ms, end_ms)
        started = created + rng.randrange(0, 600_000) if rng.random() < 0.95 else None
        settled = TABLES[kind].run_settled(status)
        stopped = (
            started + int(rng.lognormvariate(14.5, 1.5))
            if started is not None and settled
            else None
        )
        name = f"run-{rng.randrange(10_000)}"
        duration = stopped - started if started is not None and stopped is not None else None
        yield {
            "source_key": key,
            "provider": kind.value,
            "native_id": f"{i:09d}",
            "name": name,
            "status": status,
            "state": state.value,
            "settled": settled,
            "workflow": f"wf-{rng.randrange(40)}",
            "batch_id": f"b-{rng.randrange(2_000)}",
            "created_ms": created,
            "started_ms": started,
            "stopped_ms": stopped,
            "started_key": MISSING if started is None else started,
            "stopped_key": MISSING if stopped is None else stopped,
            "duration_key": MISSING if duration is None else duration,
            "name_key": name,
            "record": dumps({"id": f"{i:09d}", "status": status, "name": name}),
            "synced_ms": end_ms,
            "seen_sweep": 1,
        }


async def fill(engine: AsyncEngine, n: int, days: int, end_ms: int, batch: int = 20_000) -> None:
    chunk: list[dict[str, Any]] = []
    for row in rows(n, days, end_ms):
        chunk.append(row)
        if len(chunk) == batch:
            async with engine.begin() as conn:
                await conn.execute(runs.insert(), chunk)
            chunk = []
    if chunk:
        async with engine.begin() as conn:
            await conn.execute(runs.insert(), chunk)
