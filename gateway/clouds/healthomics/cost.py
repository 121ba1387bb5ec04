"""Cost, utilisation and right-sizing of settled HealthOmics runs, from the run manifest.

The formulas are the omics run analyzer's (facts, not its code): running = stop − start; billed
= max(60 s, running); task cost = hourly price × billed / 3600; utilisation = maximum ÷
reserved. A recommendation walks instance sizes and families c, m, r (2, 4, 8 GiB per vCPU) for
the first that holds ceil(maximum × (1 + headroom)) vCPUs and GiB; GPU tasks keep their type.
Run storage: STATIC is charged for max(1200, capacity rounded up to 2400s) GiB at "Run Storage",
DYNAMIC for its average GiB at "Dynamic Run Storage", × the run's running hours. Each task is
measured on its own (the analyzer's run-level loop applies one task's metrics to every active
task; that bug is not repeated).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.clouds.healthomics.pricing import DYNAMIC_STORAGE, STATIC_STORAGE

MIN_BILLED_SECONDS = 60.0
STATIC_MIN_GIB = 1200
STATIC_STEP_GIB = 2400
SIZES: tuple[tuple[str, int], ...] = (
    ("large", 2),
    ("xlarge", 4),
    ("2xlarge", 8),
    ("4xlarge", 16),
    ("8xlarge", 32),
    ("12xlarge", 48),
    ("16xlarge", 64),
    ("24xlarge", 96),
    ("32xlarge", 128),
    ("48xlarge", 192),
)
FAMILIES: tuple[tuple[str, int], ...] = (("c", 2), ("m", 4), ("r", 8))
_GENERAL = tuple(f"omics.{f}." for f, _ in FAMILIES)

Record = dict[str, Any]


@dataclass(frozen=True)
class Manifest:
    """A run manifest split by ARN (a cached task has no creationTime, so position lies)."""

    run: Record | None = None
    tasks: dict[str, Record] = field(default_factory=dict)


def parse_manifest(messages: Iterable[str]) -> Manifest:
    """Run and task records of a manifest stream; lines that are not JSON objects are skipped."""
    run: Record | None = None
    tasks: dict[str, Record] = {}
    for message in messages:
        try:
            record = json.loads(message)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        arn = str(record.get("arn", ""))
        resource = arn.rsplit(":", 1)[-1]
        if resource.startswith("task/"):
            tasks[resource.removeprefix("task/")] = record
        elif resource.startswith("run/"):
            run = record
    return Manifest(run, tasks)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def running_seconds(record: Record) -> float | None:
    start, stop = _time(record.get("startTime")), _time(record.get("stopTime"))
    if start is None or stop is None:
        return None
    return max(0.0, (stop - start).total_seconds())


def billed_seconds(running: float) -> float:
    return max(MIN_BILLED_SECONDS, running)


def compute_usd(hourly_usd: float, running: float) -> float:
    return hourly_usd * billed_seconds(running) / 3600.0


def metric(record: Record, name: str) -> float | None:
    value = (record.get("metrics") or {}).get(name)
    return float(value) if isinstance(value, int | float) else None


def is_gpu(record: Record) -> bool:
    gpus = metric(record, "gpusReserved") or float(record.get("gpus") or 0)
    instance = str(record.get("instanceType") or "")
    return gpus > 0 or not instance.startswith(_GENERAL)


def recommend(record: Record, headroom: float) -> str:
    """The smallest omics.{c,m,r}.* that fits the task's peaks with headroom; GPU tasks and
    tasks without peaks keep their reserved type."""
    reserved = str(record.get("instanceType") or "")
    cpu_max, mem_max = metric(record, "cpusMaximum"), metric(record, "memoryMaximumGiB")
    if is_gpu(record) or cpu_max is None or mem_max is None:
        return reserved
    cpus = math.ceil(cpu_max * (1 + headroom))
    mem = math.ceil(mem_max * (1 + headroom))
    for size, vcpus in SIZES:
        for family, ratio in FAMILIES:
            if vcpus >= cpus and vcpus * ratio >= mem:
                return f"omics.{family}.{size}"
    return reserved


def storage_resource(run: Record) -> str | None:
    kind = str(run.get("storageType") or "STATIC")
    return {"STATIC": STATIC_STORAGE, "DYNAMIC": DYNAMIC_STORAGE}.get(kind)


def charged_storage_gib(run: Record) -> float | None:
    """GiB the run's storage is charged for; None when the manifest does not say (short
    DYNAMIC runs report no average)."""
    kind = str(run.get("storageType") or "STATIC")
    if kind == "DYNAMIC":
        return metric(run, "storageAverageGiB")
    capacity = run.get("storageCapacity")
    if capacity is None:
        capacity = metric(run, "storageReservedGiB")
    if capacity is None:
        return None
    if float(capacity) <= STATIC_MIN_GIB:
        return float(STATIC_MIN_GIB)
    return float(math.ceil(float(capacity) / STATIC_STEP_GIB) * STATIC_STEP_GIB)


def storage_usd(hourly_per_gib: float, gib: float, running: float) -> float:
    return hourly_per_gib * gib * running / 3600.0
