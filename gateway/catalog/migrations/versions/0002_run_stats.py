"""runStats rollups: duration buckets, two rollup tables, the triggers keeping them, a backfill.

A rollup row counts the runs of one UTC day of creation × source × state × provider × deleted
(and workflow, in the second table) and holds their duration histogram as a JSON object
{bucket: count} (runs without both times are counted, not bucketed), so a 30-day query reads
a few hundred rows however many runs those days hold.

Additive (expand only): the previous release keeps writing `catalog_runs` as before and the
triggers count its writes too, so a rolling upgrade needs nothing else. The bucket table is
data frozen here (ratio 1.1: a percentile answered from a bucket is within 4.9% of the exact
one); changing it would be a new revision. On PostgreSQL the runs table is locked against
writes while the backfill counts it, so no write falls between the count and the triggers.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_RATIO = 1.1
_TOP_MS = 10**13  # about 317 years: the last bucket is open above this
_BELOW = -(2**62)  # bucket 0 holds durations below 1 ms (negative ones included) and answers 0
_KEY = ("day", "source_key", "state", "provider", "deleted")
_KEY_WF = ("day", "source_key", "workflow", "state", "provider", "deleted")
_WATCHED = (
    "created_ms",
    "started_ms",
    "stopped_ms",
    "state",
    "provider",
    "workflow",
    "source_key",
    "deleted_upstream_ms",
)


def _buckets() -> list[dict[str, object]]:
    """[lo, hi) per bucket with hi = max(lo + 1, ceil(lo × ratio)): integer ms durations in it
    lie within √ratio of rep = √(lo × (hi − 1)), and short ones get a bucket each (exact)."""
    rows: list[dict[str, object]] = [{"bucket": 0, "lower_ms": _BELOW, "rep_ms": 0.0}]
    lo = 1
    while lo <= _TOP_MS:
        hi = max(lo + 1, math.ceil(lo * _RATIO))
        rep = math.sqrt(lo * (hi - 1)) if hi <= _TOP_MS else float(lo)
        rows.append({"bucket": len(rows), "lower_ms": lo, "rep_ms": rep})
        lo = hi
    return rows


def _rollup(name: str, key: tuple[str, ...], hist: sa.types.TypeEngine[Any]) -> None:
    cols: list[sa.Column[Any]] = [
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("source_key", sa.String(32), nullable=False),
    ]
    if "workflow" in key:
        cols.append(sa.Column("workflow", sa.String(256), nullable=False))
    cols += [
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("deleted", sa.SmallInteger, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.Column("hist", hist, nullable=False),
    ]
    op.create_table(name, *cols, sa.PrimaryKeyConstraint(*key), sqlite_with_rowid=False)
    if op.get_bind().dialect.name == "postgresql":  # room on each page: updates stay in place
        op.execute(f"ALTER TABLE {name} SET (fillfactor = 50)")


def _values(r: str) -> dict[str, str]:
    """The rollup key of row `r` (NEW, OLD or a table alias) as SQL expressions."""
    return {
        "day": f"{r}.created_ms / 86400000",
        "source_key": f"{r}.source_key",
        "workflow": f"COALESCE({r}.workflow, '')",
        "state": f"{r}.state",
        "provider": f"{r}.provider",
        "deleted": f"CASE WHEN {r}.deleted_upstream_ms IS NULL THEN 0 ELSE 1 END",
    }


def _bucket(r: str) -> str:
    """The duration bucket of row `r`: -1 without both times (counted, not timed)."""
    return (
        f"CASE WHEN {r}.started_ms IS NULL OR {r}.stopped_ms IS NULL THEN -1 ELSE "
        "(SELECT b.bucket FROM catalog_stats_buckets b "
        f"WHERE b.lower_ms <= {r}.stopped_ms - {r}.started_ms "
        "ORDER BY b.lower_ms DESC LIMIT 1) END"
    )


def _sqlite_add(table: str, key: tuple[str, ...], r: str, delta: str) -> str:
    """Upsert `delta` into the row's count and into its bucket's entry of the JSON histogram."""
    values, b = _values(r), _bucket(r)
    path = f"'$.\"' || ({b}) || '\"'"
    old = f"{table}.hist"
    return (
        f"INSERT INTO {table} ({', '.join(key)}, n, hist) "
        f"VALUES ({', '.join(values[k] for k in key)}, {delta}, "
        f"CASE WHEN ({b}) < 0 THEN '{{}}' ELSE json_object(CAST(({b}) AS TEXT), {delta}) END) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {table}.n + excluded.n, "
        f"hist = CASE WHEN ({b}) < 0 THEN {old} ELSE "
        f"json_set({old}, {path}, COALESCE(json_extract({old}, {path}), 0) + {delta}) END"
    )


def _pg_add(table: str, key: tuple[str, ...]) -> str:
    values = _values("r")
    old = "s.hist"
    return (
        f"INSERT INTO {table} AS s ({', '.join(key)}, n, hist) "
        f"VALUES ({', '.join(values[k] for k in key)}, d, "
        "CASE WHEN b < 0 THEN '{}'::jsonb ELSE jsonb_build_object(b::text, d) END) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = s.n + EXCLUDED.n, "
        f"hist = CASE WHEN b < 0 THEN {old} ELSE jsonb_set({old}, ARRAY[b::text], "
        f"to_jsonb(COALESCE(({old} ->> b::text)::bigint, 0) + d)) END"
    )


def _backfill(table: str, key: tuple[str, ...], postgres: bool) -> str:
    values = _values("r")
    inner = ", ".join(f"{values[k]} AS {k}" for k in key)
    cols = ", ".join(key)
    if postgres:
        hist = (
            "COALESCE(jsonb_object_agg(bucket::text, cnt) FILTER (WHERE bucket >= 0), '{}'::jsonb)"
        )
    else:
        hist = (
            "COALESCE(json_group_object(CAST(bucket AS TEXT), cnt) FILTER (WHERE bucket >= 0), "
            "'{}')"
        )
    return (
        f"INSERT INTO {table} ({cols}, n, hist) SELECT {cols}, SUM(cnt), {hist} FROM "
        f"(SELECT {cols}, bucket, COUNT(*) AS cnt FROM "
        f"(SELECT {inner}, {_bucket('r')} AS bucket FROM catalog_runs r) x "
        f"GROUP BY {cols}, bucket) y GROUP BY {cols}"
    )


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in _WATCHED)


def _sqlite_triggers() -> list[str]:
    def both(r: str, delta: str) -> list[str]:
        return [
            _sqlite_add("catalog_run_stats", _KEY, r, delta),
            _sqlite_add("catalog_run_stats_wf", _KEY_WF, r, delta),
        ]

    def body(stmts: list[str]) -> str:
        return "BEGIN " + "; ".join(stmts) + "; END"

    watched = ", ".join(_WATCHED)
    return [
        "CREATE TRIGGER catalog_runs_stats_ins AFTER INSERT ON catalog_runs "
        + body(both("NEW", "1")),
        "CREATE TRIGGER catalog_runs_stats_del AFTER DELETE ON catalog_runs "
        + body(both("OLD", "-1")),
        f"CREATE TRIGGER catalog_runs_stats_upd AFTER UPDATE OF {watched} ON catalog_runs "
        f"WHEN {_changed('IS NOT')} " + body(both("OLD", "-1") + both("NEW", "1")),
    ]


def _pg_triggers() -> list[str]:
    add = "; ".join((_pg_add("catalog_run_stats", _KEY), _pg_add("catalog_run_stats_wf", _KEY_WF)))
    watched = ", ".join(_WATCHED)
    return [
        # plpgsql, not sql: its statements' plans are kept between calls.
        "CREATE FUNCTION catalog_run_stats_add(r catalog_runs, d integer) RETURNS void "
        f"LANGUAGE plpgsql AS $$ DECLARE b integer := {_bucket('r')}; BEGIN {add}; END $$",
        "CREATE FUNCTION catalog_runs_stats_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "IF TG_OP <> 'INSERT' THEN PERFORM catalog_run_stats_add(OLD, -1); END IF; "
        "IF TG_OP <> 'DELETE' THEN PERFORM catalog_run_stats_add(NEW, 1); END IF; "
        "RETURN NULL; END $$",
        "CREATE TRIGGER catalog_runs_stats_insdel AFTER INSERT OR DELETE ON catalog_runs "
        "FOR EACH ROW EXECUTE FUNCTION catalog_runs_stats_trigger()",
        f"CREATE TRIGGER catalog_runs_stats_upd AFTER UPDATE OF {watched} ON catalog_runs "
        f"FOR EACH ROW WHEN ({_changed('IS DISTINCT FROM')}) "
        "EXECUTE FUNCTION catalog_runs_stats_trigger()",
    ]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # writers wait until the triggers exist; readers go on
        op.execute("LOCK TABLE catalog_runs IN SHARE ROW EXCLUSIVE MODE")
    buckets = op.create_table(
        "catalog_stats_buckets",
        sa.Column("bucket", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("lower_ms", sa.BigInteger, nullable=False, unique=True),
        sa.Column("rep_ms", sa.Float, nullable=False),
    )
    op.bulk_insert(buckets, _buckets())
    hist = JSONB() if postgres else sa.Text()
    _rollup("catalog_run_stats", _KEY, hist)
    _rollup("catalog_run_stats_wf", _KEY_WF, hist)
    op.execute(_backfill("catalog_run_stats", _KEY, postgres))
    op.execute(_backfill("catalog_run_stats_wf", _KEY_WF, postgres))
    for ddl in _pg_triggers() if postgres else _sqlite_triggers():
        op.execute(ddl)
    if postgres:
        # The partial days at the ends of a created window are read from the runs: covered by
        # this index, that read never visits the heap (SQLite's rowid table needs no help).
        op.create_index(
            "ix_catalog_runs_created_stats",
            "catalog_runs",
            ["created_ms"],
            postgresql_include=list(_WATCHED[1:]),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_catalog_runs_created_stats", "catalog_runs")
        op.execute("DROP TRIGGER catalog_runs_stats_upd ON catalog_runs")
        op.execute("DROP TRIGGER catalog_runs_stats_insdel ON catalog_runs")
        op.execute("DROP FUNCTION catalog_runs_stats_trigger()")
        op.execute("DROP FUNCTION catalog_run_stats_add(catalog_runs, integer)")
    else:
        for name in ("ins", "del", "upd"):
            op.execute(f"DROP TRIGGER catalog_runs_stats_{name}")
    for table in ("catalog_run_stats_wf", "catalog_run_stats", "catalog_stats_buckets"):
        op.drop_table(table)
