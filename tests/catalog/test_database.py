"""Opening and migrating the catalogue: on start, under a lock, refusing a newer database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.catalog.database import SchemaTooNew, head_revision, make_engine, migrate


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_concurrent_migrations_leave_one_schema_at_head(catalog_url: str) -> None:
    engines = [make_engine(catalog_url) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate(e) for e in engines))
        assert {"catalog_runs", "catalog_tasks", "catalog_sources", "catalog_leases"} <= (
            await _tables(engines[0])
        )
        async with engines[0].connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert [v[0] for v in versions] == [head_revision()]
        await migrate(engines[1])  # idempotent
    finally:
        for e in engines:
            await e.dispose()


async def test_a_database_newer_than_the_code_is_refused(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaTooNew, match="newer than this gateway"):
        await migrate(engine)
