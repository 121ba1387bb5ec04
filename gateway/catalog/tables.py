"""The catalogue's tables (SQLAlchemy core): what the gateway remembers of every source.

Rows are keyed by a *source key* (a hash of provider + account + region + project/domain), not
by the operator's source name, so renaming or reusing a name never shows old rows under new
grants. Times are epoch milliseconds (UTC) in BIGINT columns: exact keyset comparisons and the
same DAY arithmetic on SQLite and PostgreSQL. The `*_key` columns are the non-null order keys
of `searchRuns` (a missing time sorts as `MISSING`, i.e. last ascending, first descending, as
PostgreSQL orders NULLs by default), so every order is one index range.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

#: The order key of a run lacking that time (greater than any real epoch-ms value).
MISSING = 2**62

#: BIGINT ids; SQLite's rowid alias must be spelled INTEGER to autoincrement.
_ID = BigInteger().with_variant(Integer, "sqlite")

#: Names order by code point everywhere: SQLite's BINARY collation, PostgreSQL's "C".
NAME_KEY = String(256).with_variant(String(256, collation="C"), "postgresql")

metadata = MetaData()

sources = Table(
    "catalog_sources",
    metadata,
    Column("source_key", String(32), primary_key=True),
    Column("provider", String(32), nullable=False),
    #: provider|region|scope|account as configured when last synced (for `catalog purge`).
    Column("identity", Text, nullable=False),
    Column("last_sweep_at", BigInteger),
    Column("last_error", Text),
    #: The running sweep's resume point (JSON): sweep id, listing index and next page ref.
    Column("checkpoint", Text),
    Column("sweep_seq", Integer, nullable=False, server_default="0"),
    Column("updated_at", BigInteger, nullable=False),
)

runs = Table(
    "catalog_runs",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("source_key", String(32), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("native_id", String(128), nullable=False),
    Column("name", Text),
    Column("status", String(64)),
    Column("state", String(32), nullable=False),
    Column("settled", Boolean, nullable=False),
    Column("workflow", String(256)),
    Column("batch_id", String(128)),
    Column("created_ms", BigInteger, nullable=False),
    Column("started_ms", BigInteger),
    Column("stopped_ms", BigInteger),
    Column("started_key", BigInteger, nullable=False),
    Column("stopped_key", BigInteger, nullable=False),
    Column("duration_key", BigInteger, nullable=False),
    Column("name_key", NAME_KEY, nullable=False),
    #: When each order key last changed, in epoch µs (a walk that began earlier skips rows
    #: that moved since, so none is met twice): created, started, stopped (duration moves
    #: with those), name.
    Column("moved_created_ms", BigInteger, nullable=False, server_default="0"),
    Column("moved_started_ms", BigInteger, nullable=False, server_default="0"),
    Column("moved_stopped_ms", BigInteger, nullable=False, server_default="0"),
    Column("moved_name_ms", BigInteger, nullable=False, server_default="0"),
    #: The allow-listed upstream record as JSON (see `gateway.catalog.records`).
    Column("record", Text, nullable=False),
    #: The status the detail read (GetRun…) was made at; a change asks for it again.
    Column("detail_status", String(64)),
    Column("tasks_synced_ms", BigInteger),
    Column("synced_ms", BigInteger, nullable=False),
    Column("seen_sweep", Integer, nullable=False, server_default="0"),
    Column("deleted_upstream_ms", BigInteger),
    UniqueConstraint("source_key", "native_id", name="uq_catalog_runs_source_native"),
)
Index("ix_catalog_runs_created", runs.c.source_key, runs.c.created_ms, runs.c.id)
Index("ix_catalog_runs_state_created", runs.c.state, runs.c.created_ms, runs.c.id)
Index("ix_catalog_runs_started", runs.c.started_key, runs.c.id)
Index("ix_catalog_runs_stopped", runs.c.stopped_key, runs.c.id)
Index("ix_catalog_runs_duration", runs.c.duration_key, runs.c.id)
Index("ix_catalog_runs_name", runs.c.name_key, runs.c.id)
Index("ix_catalog_runs_created_all", runs.c.created_ms, runs.c.id)
Index("ix_catalog_runs_unsettled", runs.c.source_key, runs.c.settled)

run_tags = Table(
    "catalog_run_tags",
    metadata,
    Column("run_id", ForeignKey("catalog_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)
Index("ix_catalog_run_tags_kv", run_tags.c.key, run_tags.c.value)

tasks = Table(
    "catalog_tasks",
    metadata,
    Column("run_id", ForeignKey("catalog_runs.id", ondelete="CASCADE"), primary_key=True),
    #: Where the listing was read: "" for HealthOmics tasks, the call path for Tencent calls.
    Column("path", String(512), primary_key=True),
    #: The item's place in the upstream listing (upstream order is kept).
    Column("position", Integer, primary_key=True),
    Column("native_id", String(256), nullable=False),
    Column("name", Text),
    Column("status", String(64)),
    Column("record", Text, nullable=False),
)

leases = Table(
    "catalog_leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
)

#: Duration buckets of the `runStats` rollups (filled once by migration 0002, never changed):
#: bucket b holds durations in [lower_ms(b), lower_ms(b + 1)); `rep_ms` is what a percentile
#: falling in it answers (see `gateway.catalog.rollup` for the error bound).
stats_buckets = Table(
    "catalog_stats_buckets",
    metadata,
    Column("bucket", SmallInteger, primary_key=True, autoincrement=False),
    Column("lower_ms", BigInteger, nullable=False, unique=True),
    Column("rep_ms", Float, nullable=False),
)


#: A rollup's histogram: a JSON object {bucket: runs} (JSONB on PostgreSQL).
HIST = Text().with_variant(JSONB(), "postgresql")


def _rollup(name: str, *dimensions: Column[str]) -> Table:
    """A rollup of `catalog_runs`: runs per key, and their durations as a bucket histogram.

    Maintained by triggers on `catalog_runs` (migration 0002): a run's contribution moves in
    the statement that changes its row, so every write path (sync upserts, deletion marks,
    purges, cascades) keeps it exact and idempotent.
    """
    return Table(
        name,
        metadata,
        Column("day", Integer, nullable=False),
        Column("source_key", String(32), nullable=False),
        *dimensions,
        Column("state", String(32), nullable=False),
        Column("provider", String(32), nullable=False),
        Column("deleted", SmallInteger, nullable=False),
        #: Runs of this key, with a duration or not (exact).
        Column("n", BigInteger, nullable=False),
        Column("hist", HIST, nullable=False),
        PrimaryKeyConstraint(
            "day", "source_key", *(d.name for d in dimensions), "state", "provider", "deleted"
        ),
        sqlite_with_rowid=False,
    )


#: Per UTC day of creation × source × state × provider × deleted.
run_stats = _rollup("catalog_run_stats")
#: The same per workflow too ('' for a run without one): read when WORKFLOW is asked for.
run_stats_wf = _rollup("catalog_run_stats_wf", Column("workflow", String(256), nullable=False))
