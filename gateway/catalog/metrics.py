"""The catalogue on `/metrics`: sync lag, rows and sweep errors per source.

Kept in memory by the sync loops (updated after each sweep) and read by a Prometheus collector
at scrape time, so a scrape never queries the database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector


@dataclass
class SyncStats:
    """What this process last saw of each source's sync."""

    last_sweep: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def swept(self, source: str, rows: int) -> None:
        self.last_sweep[source] = time.time()
        self.rows[source] = rows

    def failed(self, source: str) -> None:
        self.errors[source] = self.errors.get(source, 0) + 1


class CatalogCollector(Collector):
    """Renders `SyncStats` as gateway_catalog_* metrics."""

    def __init__(self, stats: SyncStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        now = time.time()
        lag = GaugeMetricFamily(
            "gateway_catalog_lag_seconds",
            "Seconds since this process last completed a sweep of the source.",
            labels=["source"],
        )
        rows = GaugeMetricFamily(
            "gateway_catalog_runs", "Runs catalogued for the source.", labels=["source"]
        )
        errors = CounterMetricFamily(
            "gateway_catalog_sync_errors", "Sweeps of the source that failed.", labels=["source"]
        )
        for source, at in self.stats.last_sweep.items():
            lag.add_metric([source], now - at)
        for source, count in self.stats.rows.items():
            rows.add_metric([source], count)
        for source, count in self.stats.errors.items():
            errors.add_metric([source], count)
        yield lag
        yield rows
        yield errors
