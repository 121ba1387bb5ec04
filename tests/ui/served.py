"""A demo-like gateway for the dashboard's browser tests: its own emulator (its clock moves),
the catalogue on SQLite, JWT auth (so one gateway shows a full viewer, a narrow one and an
expired token), the dashboard on, subscriptions polling fast. All on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt

from gateway.app import create_app
from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.server import LoopbackServer
from tests.catalog.emulated import catalog_settings
from tests.conftest import HO_SOURCE, Upstreams

SECRET = "ui-test-hmac-secret-0123456789abcdef0123456789"
SYNC_TIMEOUT_S = 90.0


def token(sources: Any = "*", *, ttl: float = 3600.0, scopes: tuple[str, ...] = ("logs",)) -> str:
    now = time.time()
    claims = {"sub": "ui-test", "sources": sources, "scopes": list(scopes), "iat": int(now)}
    claims["exp"] = int(now + ttl)
    return jwt.encode(claims, SECRET, algorithm="HS256")


@dataclass
class Served:
    url: str
    emulator: Emulator
    emulator_url: str
    full: str  # every source, with logs
    narrow: str  # HealthOmics only

    def query(self, query: str, tok: str | None = None, **variables: Any) -> dict[str, Any]:
        """What the API answers (the truth the pages are checked against)."""
        resp = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {tok or self.full}"},
            timeout=60,
        )
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def advance_clock(self, seconds: float) -> None:
        """Moves the emulator's simulated time through its control API, as an operator would."""
        resp = httpx.post(f"{self.emulator_url}/_emulator/clock", json={"advance": seconds})
        assert resp.status_code == 200, resp.text


def _wait_synced(served: Served) -> None:
    deadline = time.monotonic() + SYNC_TIMEOUT_S
    while time.monotonic() < deadline:
        data = served.query("{ catalog { sources { source lastSweepAt } } }")
        sweeps = [s["lastSweepAt"] for s in data["catalog"]["sources"]]
        if sweeps and all(sweeps):
            return
        time.sleep(0.5)
    raise AssertionError("the catalogue did not finish its first sweep")


@contextmanager
def dashboard(data_dir: Path) -> Iterator[Served]:
    emu = create_emulator(seed=5, scale="small", quotas=False)
    with LoopbackServer(emu.app) as upstream:
        up = Upstreams(upstream.url, emu)
        url = f"sqlite+aiosqlite:///{data_dir / 'catalog.sqlite3'}"
        base = catalog_settings(up, url, sweep_interval_seconds=3600.0)
        settings = base.model_copy(
            update={
                "auth": type(base.auth).model_validate(
                    {"mode": "jwt", "jwt": {"key": SECRET, "algorithms": ["HS256"]}}
                ),
                "ui": type(base.ui).model_validate({"enabled": True}),
                "subscriptions": type(base.subscriptions).model_validate(
                    {"poll_interval_seconds": 0.3, "max_interval_seconds": 0.6}
                ),
                "cache": type(base.cache).model_validate(
                    {"live_ttl_seconds": 0.1, "page_ttl_seconds": 0.1}
                ),
            }
        )
        with LoopbackServer(create_app(settings)) as gateway:
            served = Served(gateway.url, emu, upstream.url, token("*"), token([HO_SOURCE]))
            _wait_synced(served)
            yield served
