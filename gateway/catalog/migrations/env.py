"""Alembic's environment for the catalogue: always run on a connection the gateway hands in.

`gateway.catalog.database.migrate` opens the connection (under its migration lock) and passes
it as `config.attributes["connection"]`; there is no offline (SQL script) mode.
"""

from __future__ import annotations

from alembic import context

from gateway.catalog.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
