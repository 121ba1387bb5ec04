"""A private emulator for catalogue tests (its clock advances, so it is not the shared one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gateway.catalog.service import Catalog
from gateway.clouds.registry import DEFAULT_CLOUDS
from gateway.config import Settings
from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.server import LoopbackServer
from gateway.upstream.loaders import Upstream
from tests.conftest import DZ_SOURCE, HO_SOURCE, TC_SOURCE, Upstreams, settings_for

SOURCES = (HO_SOURCE, TC_SOURCE, DZ_SOURCE)


@contextmanager
def private_emulator() -> Iterator[Upstreams]:
    emu = create_emulator(seed=11, scale="small", quotas=False)
    with LoopbackServer(emu.app) as srv:
        yield Upstreams(srv.url, emu)


def catalog_settings(up: Upstreams, url: str, **catalog: Any) -> Settings:
    domain = up.emulator.datazone.domains()[0]
    jobs = up.emulator.datazone.jobs(domain)[:2]
    cfg: dict[str, Any] = {
        "enabled": True,
        "url": url,
        "fallback_rate": 10_000.0,
        "quota_share": 1.0,
        **catalog,
    }
    base = settings_for(up.url)
    sources = [s.model_dump(mode="json") for s in base.sources]
    sources[2]["domain_id"] = domain
    sources[2]["jobs"] = jobs
    return settings_for(
        up.url,
        sources=sources,
        catalog=cfg,
        limits={
            "upstream_rates": {},
            "tencent_requests_per_second": 10_000,
            "queries_per_minute": 0,
            "cost_points_per_hour": 0,
        },
    )


def truth(emu: Emulator, settings: Settings) -> dict[str, dict[str, str]]:
    """Native id → upstream status per source, straight from the emulator's data."""
    domain = settings.sources[2].domain_id
    assert domain is not None
    dz: dict[str, str] = {}
    for job in settings.sources[2].jobs or ():
        dz.update({r["runId"]: r["status"] for r in emu.datazone.job_runs(domain, job)})
    return {
        HO_SOURCE: {r["id"]: r["status"] for r in emu.healthomics.all_runs()},
        TC_SOURCE: {r["RunUuid"]: r["Status"] for r in emu.tencent.runs()},
        DZ_SOURCE: dz,
    }


def open_catalog(settings: Settings, **kw: Any) -> tuple[Upstream, Catalog]:
    upstream = Upstream.from_settings(settings, DEFAULT_CLOUDS)
    return upstream, Catalog(settings, upstream.providers, url=settings.catalog.url, **kw)
