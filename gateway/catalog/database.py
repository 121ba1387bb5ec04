"""The catalogue's database: which one, opened how, migrated to this code's schema under a lock.

SQLite (aiosqlite, WAL) is the embedded default, a file under `[catalog] data_dir`; PostgreSQL
(asyncpg) serves several replicas. Migrations ship inside the package and run on start: one
process migrates while the others wait (a PostgreSQL advisory lock; a file lock beside the
SQLite file). Every migration is expand/contract — add, backfill, and only drop in a later
release — so replicas of the previous release keep working during a rolling upgrade. A
database stamped with a revision this code does not know is newer than the code: refused.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gateway.config import CatalogConfig
from gateway.errors import ErrorCode, GatewayError

MIGRATIONS = Path(__file__).parent / "migrations"
#: Any fixed 64-bit number, the same in every replica: the advisory lock migrations run under.
_PG_MIGRATION_LOCK = 0x52475743_41544C47


class CatalogUnavailable(GatewayError):
    """The catalogue's database is down, locked or unusable; live fields keep answering."""

    def __init__(self, message: str = "the run catalogue is unavailable") -> None:
        super().__init__(message, ErrorCode.CATALOG_UNAVAILABLE)


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer gateway than this one."""


def resolve_url(cfg: CatalogConfig) -> str:
    """`url_file` (a mounted secret) wins, then `url` (env or file), then SQLite in `data_dir`."""
    if cfg.url_file is not None:
        url = cfg.url_file.read_text().strip()
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                f"{cfg.url_file}: not a sqlite+aiosqlite:// or postgresql+asyncpg:// URL"
            )
        return url
    if cfg.url is not None:
        return cfg.url
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(cfg.data_dir / 'catalog.sqlite3').resolve()}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str) -> AsyncEngine:
    """An engine with WAL, foreign keys and a busy timeout on SQLite; a small pool on PG."""
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 5})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi: Any, _record: Any) -> None:
            cur = dbapi.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_async_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True)


def _alembic_config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def _upgrade(connection: Connection) -> str | None:
    """Refuse a newer database, else upgrade to head; returns the revision found before."""
    script = ScriptDirectory(str(MIGRATIONS))
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None:
        known = {rev.revision for rev in script.walk_revisions()}
        if current not in known:
            raise SchemaTooNew(
                f"the catalogue database is at schema revision {current!r}, newer than this "
                f"gateway (which knows up to {script.get_current_head()!r}); upgrade the gateway "
                "or point it at another database"
            )
    command.upgrade(_alembic_config(connection), "head")
    return current


async def migrate(engine: AsyncEngine) -> None:
    """Bring the database to this code's schema; concurrent callers wait for the first."""
    url = str(engine.url)
    if is_sqlite(url):
        database = engine.url.database
        lock_path = f"{database}.migrate.lock" if database and database != ":memory:" else None
        await asyncio.to_thread(_with_file_lock, lock_path, engine)
        return
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        try:
            await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
            await conn.commit()


def _with_file_lock(lock_path: str | None, engine: AsyncEngine) -> None:
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600) if lock_path else None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        asyncio.run(_migrate_sqlite(str(engine.url)))
    finally:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


async def _migrate_sqlite(url: str) -> None:
    # Its own engine in its own loop (this runs in a worker thread, holding the file lock).
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_upgrade)
            await conn.commit()
    finally:
        await engine.dispose()
