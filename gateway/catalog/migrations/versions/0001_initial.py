"""The first catalogue schema: sources, runs, run tags, settled tasks, leases.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_NAME_KEY = sa.String(256).with_variant(sa.String(256, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "catalog_sources",
        sa.Column("source_key", sa.String(32), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("identity", sa.Text, nullable=False),
        sa.Column("last_sweep_at", sa.BigInteger),
        sa.Column("last_error", sa.Text),
        sa.Column("checkpoint", sa.Text),
        sa.Column("sweep_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "catalog_runs",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("source_key", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("native_id", sa.String(128), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("status", sa.String(64)),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("settled", sa.Boolean, nullable=False),
        sa.Column("workflow", sa.String(256)),
        sa.Column("batch_id", sa.String(128)),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("started_ms", sa.BigInteger),
        sa.Column("stopped_ms", sa.BigInteger),
        sa.Column("started_key", sa.BigInteger, nullable=False),
        sa.Column("stopped_key", sa.BigInteger, nullable=False),
        sa.Column("duration_key", sa.BigInteger, nullable=False),
        sa.Column("name_key", _NAME_KEY, nullable=False),
        sa.Column("moved_created_ms", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("moved_started_ms", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("moved_stopped_ms", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("moved_name_ms", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("detail_status", sa.String(64)),
        sa.Column("tasks_synced_ms", sa.BigInteger),
        sa.Column("synced_ms", sa.BigInteger, nullable=False),
        sa.Column("seen_sweep", sa.Integer, nullable=False, server_default="0"),
        sa.Column("deleted_upstream_ms", sa.BigInteger),
        sa.UniqueConstraint("source_key", "native_id", name="uq_catalog_runs_source_native"),
    )
    op.create_index("ix_catalog_runs_created", "catalog_runs", ["source_key", "created_ms", "id"])
    op.create_index("ix_catalog_runs_state_created", "catalog_runs", ["state", "created_ms", "id"])
    op.create_index("ix_catalog_runs_started", "catalog_runs", ["started_key", "id"])
    op.create_index("ix_catalog_runs_stopped", "catalog_runs", ["stopped_key", "id"])
    op.create_index("ix_catalog_runs_duration", "catalog_runs", ["duration_key", "id"])
    op.create_index("ix_catalog_runs_name", "catalog_runs", ["name_key", "id"])
    op.create_index("ix_catalog_runs_created_all", "catalog_runs", ["created_ms", "id"])
    op.create_index("ix_catalog_runs_unsettled", "catalog_runs", ["source_key", "settled"])
    op.create_table(
        "catalog_run_tags",
        sa.Column(
            "run_id",
            _ID,
            sa.ForeignKey("catalog_runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_index("ix_catalog_run_tags_kv", "catalog_run_tags", ["key", "value"])
    op.create_table(
        "catalog_tasks",
        sa.Column(
            "run_id",
            _ID,
            sa.ForeignKey("catalog_runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("path", sa.String(512), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("native_id", sa.String(256), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("status", sa.String(64)),
        sa.Column("record", sa.Text, nullable=False),
    )
    op.create_table(
        "catalog_leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "catalog_leases",
        "catalog_tasks",
        "catalog_run_tags",
        "catalog_runs",
        "catalog_sources",
    ):
        op.drop_table(table)
