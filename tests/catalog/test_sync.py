"""The sync against the emulator with its clock advancing: appear, progress, settle, vanish."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.catalog.records import KINDS, SENSITIVE, loads
from gateway.catalog.service import Catalog
from gateway.catalog.tables import runs
from gateway.emulator.app import Emulator
from gateway.upstream.loaders import Upstream
from tests.catalog.emulated import catalog_settings, open_catalog, private_emulator, truth
from tests.conftest import DZ_SOURCE, HO_SOURCE, Upstreams


@pytest.fixture
def emulated(upstreams: Upstreams) -> Iterator[Upstreams]:
    """A fresh emulator per test (clocks advance here); `upstreams` sets test credentials."""
    with private_emulator() as up:
        yield up


@pytest.fixture
async def synced(
    emulated: Upstreams, catalog_url: str
) -> AsyncIterator[tuple[Upstreams, Catalog, Upstream]]:
    settings = catalog_settings(emulated, catalog_url)
    upstream, catalog = open_catalog(settings)
    await catalog.open()
    yield emulated, catalog, upstream
    await catalog.aclose()
    await upstream.aclose()


def pages(emu: Emulator, run_ids: list[str]) -> int:
    """ListRunTasks calls that list each run's tasks once (100 per page)."""
    return sum(max(1, -(-len(emu.healthomics.tasks(r)) // 100)) for r in run_ids)


async def catalogued(catalog: Catalog) -> dict[str, dict[str, tuple[str | None, bool]]]:
    """Native id → (status, deleted) per source name, read from the database."""
    out: dict[str, dict[str, tuple[str | None, bool]]] = {}
    async with catalog.engine.connect() as conn:
        rows = (await conn.execute(select(runs))).all()
    for name, key in catalog.keys.items():
        out[name] = {
            r.native_id: (r.status, r.deleted_upstream_ms is not None)
            for r in rows
            if r.source_key == key
        }
    return out


async def test_runs_appear_progress_settle_and_tasks_are_fetched_once(
    synced: tuple[Upstreams, Catalog, Upstream],
) -> None:
    up, catalog, _ = synced
    emu = up.emulator
    emu.calls.clear()
    assert sorted(await catalog.sync_once()) == sorted(catalog.syncs)
    want = truth(emu, catalog.settings)
    got = await catalogued(catalog)
    for name, runs_ in want.items():
        assert {k: (v, False) for k, v in runs_.items()} == got[name], name
    first = emu.calls.counts()
    ho_runs = want[HO_SOURCE]
    # One GetRun per HealthOmics run; one task listing per settled, live run.
    assert first["omics:GetRun"] == len(ho_runs)
    settled_ho = [r for r, s in ho_runs.items() if s in ("COMPLETED", "FAILED", "CANCELLED")]
    assert first["omics:ListRunTasks"] == pages(emu, settled_ho)

    # Nothing changed upstream: a second sweep lists again and reads nothing else.
    emu.calls.clear()
    await catalog.sync_once()
    again = emu.calls.counts()
    assert "omics:GetRun" not in again and "omics:ListRunTasks" not in again
    assert "tencent:GetRunCalls" not in again

    # Time passes: runs progress and settle; each newly settled run is read and listed once.
    emu.clock.advance(3 * 86_400)
    emu.calls.clear()
    await catalog.sync_once()
    later = truth(emu, catalog.settings)
    got = await catalogued(catalog)
    for name, runs_ in later.items():
        assert {k: (v, False) for k, v in runs_.items()} == got[name], name
    newly = [
        r
        for r, s in later[HO_SOURCE].items()
        if s in ("COMPLETED", "FAILED", "CANCELLED") and r not in settled_ho
    ]
    counts = emu.calls.counts()
    assert counts.get("omics:ListRunTasks", 0) == pages(emu, newly)
    emu.calls.clear()
    await catalog.sync_once(HO_SOURCE)
    assert "omics:ListRunTasks" not in emu.calls.counts()
    total, with_tasks = await catalog.store.count_runs(catalog.keys[HO_SOURCE])
    assert total == len(later[HO_SOURCE])
    assert with_tasks == len(settled_ho) + len(newly)

    # No catalogued record holds a field kept out by default (parameters, roles, inputs…).
    async with catalog.engine.connect() as conn:
        rows = (await conn.execute(select(runs.c.provider, runs.c.record))).all()
    assert len(rows) == sum(len(r) for r in later.values())
    for provider, record in rows:
        assert not set(loads(record)) & SENSITIVE[KINDS[provider]], provider


async def test_a_vanished_run_is_deleted_only_after_a_direct_read(
    synced: tuple[Upstreams, Catalog, Upstream],
) -> None:
    up, catalog, _ = synced
    emu = up.emulator
    await catalog.sync_once(HO_SOURCE)
    victim = next(r["id"] for r in emu.healthomics.all_runs() if r["status"] != "DELETED")
    plan = emu.healthomics.run_plan(victim)
    emu.healthomics.remove_run(victim)
    try:
        emu.calls.clear()
        await catalog.sync_once(HO_SOURCE)
        assert emu.calls.counts()["omics:GetRun"] >= 1  # the direct read that confirmed it
        got = await catalogued(catalog)
        assert got[HO_SOURCE][victim][1] is True
        assert sum(deleted for _, deleted in got[HO_SOURCE].values()) == 1
    finally:
        emu.healthomics._runs[victim] = plan
        emu.healthomics._order = None


async def test_an_event_refreshes_one_run_now_and_fetches_its_tasks_when_settled(
    synced: tuple[Upstreams, Catalog, Upstream],
) -> None:
    up, catalog, _ = synced
    emu = up.emulator
    await catalog.sync_once(HO_SOURCE)
    settled = ("COMPLETED", "FAILED", "CANCELLED")
    before = {r["id"]: r["status"] for r in emu.healthomics.all_runs()}
    changed: list[str] = []
    for _ in range(40):  # until some live run settles
        emu.clock.advance(3_600)
        now = {r["id"]: r["status"] for r in emu.healthomics.all_runs()}
        changed = [r for r, s in now.items() if s in settled and before.get(r) not in settled]
        if changed:
            break
    assert changed, "no run settled in the emulator's next 40 hours"
    run_id = changed[0]
    emu.calls.clear()
    await catalog.run_changed(HO_SOURCE, run_id, "COMPLETED")
    counts = emu.calls.counts()
    assert counts["omics:GetRun"] == 1
    assert counts.get("omics:ListRunTasks", 0) == pages(emu, [run_id])
    assert "omics:ListRuns" not in counts  # no sweep: just this run
    got = await catalogued(catalog)
    assert got[HO_SOURCE][run_id] == (now[run_id], False)
    stored = await catalog.store.task_items(catalog.keys[HO_SOURCE], run_id, "")
    assert [t["taskId"] for t in stored or []] == [
        t["taskId"] for t in emu.healthomics.tasks(run_id)
    ]


async def test_datazone_jobs_come_from_the_source_and_the_old_key_still_works(
    upstreams: Upstreams, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`jobs` in the DataZone source names the swept jobs; `[catalog] datazone_jobs` still
    does (with a deprecation warning) where the source names none."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}"
    settings = catalog_settings(upstreams, url)
    jobs = list(settings.sources[2].jobs or ())
    assert len(jobs) == 2
    upstream, catalog = open_catalog(settings)
    assert catalog.syncs[DZ_SOURCE].jobs == jobs
    assert [x.params for x in catalog.syncs[DZ_SOURCE].listings()] == [
        x.params for x in (catalog.syncs[DZ_SOURCE].provider.job_runs(j) for j in jobs)
    ]
    assert "deprecated" not in caplog.text
    await catalog.aclose()
    await upstream.aclose()
    bare = [
        s.model_copy(update={"jobs": None}) if s.name == DZ_SOURCE else s for s in settings.sources
    ]
    legacy = settings.model_copy(
        update={
            "sources": bare,
            "catalog": settings.catalog.model_copy(update={"datazone_jobs": {DZ_SOURCE: jobs}}),
        }
    )
    upstream, catalog = open_catalog(legacy)
    assert catalog.syncs[DZ_SOURCE].jobs == jobs
    assert "[catalog] datazone_jobs is deprecated" in caplog.text
    await catalog.aclose()
    await upstream.aclose()
