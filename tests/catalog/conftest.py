"""Every catalogue test runs twice: on SQLite (a temp file) and on a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.catalog.database import make_engine, migrate
from tests.pgd import postgres_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One private PostgreSQL cluster for the session (each test gets its own database)."""
    with postgres_server() as url:
        yield url


async def fresh_database(server: str) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    conn = await asyncpg.connect(server.replace("+asyncpg", "") + "/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database URL of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}"
    else:
        yield await fresh_database(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def module_catalog_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """An empty database URL of each kind, shared by one module's tests."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('cat') / 'catalog.sqlite3'}"
    else:
        yield await fresh_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def engine(catalog_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine on each kind of database."""
    eng = make_engine(catalog_url)
    await migrate(eng)
    yield eng
    await eng.dispose()
