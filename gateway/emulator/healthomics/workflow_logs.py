"""The `/aws/omics/WorkflowLog` group HealthOmics writes, generated from the runs and tasks.

Streams (as HealthOmics names them): `run/{runId}/engine`, `run/{runId}`, `run/{runId}/task/
{taskId}` written in real time (an event exists once the clock passes its timestamp, a stream
once its first event does), and `manifest/run/{runId}/{runUuid}` written when the run settles:
one JSON object for the run and one per task, with the metrics the run analyzer reads.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from gateway.emulator.aws.data import rng_for, seconds
from gateway.emulator.healthomics.data import HealthOmicsData
from gateway.emulator.healthomics.timeline import RunPlan, TaskPlan

GROUP = "/aws/omics/WorkflowLog"
#: Short DYNAMIC runs report no storage maximum/average (as the manifest documents).
DYNAMIC_STORAGE_MIN_S = 2 * 3600
#: The error lines a failed task's log ends with, one chosen per task; tests read them back.
FAILURES = [
    "java.lang.OutOfMemoryError: Java heap space",
    "bwa-mem2: fail to allocate 2147483648 bytes: Cannot allocate memory",
    "samtools sort: couldn't allocate memory for bam_mem",
    "Killed: process exceeded its memory reservation",
]


@dataclass(frozen=True)
class Event:
    """One log event: epoch milliseconds as CloudWatch stores them."""

    timestamp: int
    message: str
    ingestion_time: int


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat().replace("+00:00", "Z")


class WorkflowLogs:
    """The log group's streams and events at the clock's `now`, all derived from the data."""

    def __init__(self, data: HealthOmicsData) -> None:
        self.data = data
        self._planned = lru_cache(maxsize=4096)(self._plan_stream)
        # A manifest is written once, when its run ends: keyed by the run and that end.
        self._records = lru_cache(maxsize=1024)(self._manifest_records)

    # --- lookups ------------------------------------------------------------------------------

    def events(self, stream: str) -> list[Event] | None:
        """The stream's events so far, oldest first; None when the stream does not exist."""
        parts = stream.split("/")
        if parts[0] == "manifest":  # written once the run ends: read at `now`, never cached
            try:
                ok = len(parts) == 4 and parts[1] == "run"
                return self._manifest(parts[2], parts[3]) if ok else None
            except KeyError:
                return None
        planned = self._planned(stream)
        if planned is None:
            return None
        now = _ms(self.data.clock.now())
        visible = [e for e in planned if e.timestamp <= now]
        return visible or None

    def failure(self, run_id: str, task_id: str) -> str:
        """The error line a failed task's log carries (ground truth for excerpt tests)."""
        return FAILURES[int(task_id) % len(FAILURES)]

    def stream_names(self, prefix: str) -> list[str]:
        """Every stream whose name starts with `prefix` and exists now, in name order."""
        parts = prefix.split("/")
        run_ids = self.data.run_ids()
        if len(parts) > 1 and parts[0] == "run" and parts[1]:
            run_ids = [r for r in run_ids if r.startswith(parts[1])]
        names = []
        for run_id in run_ids:
            run = self.data.run_plan(run_id)
            names += [f"run/{run_id}", f"run/{run_id}/engine"]
            names += [f"run/{run_id}/task/{t.id}" for t in self.data.task_plans(run_id)]
            names.append(f"manifest/run/{run_id}/{run.uuid}")
        return sorted(n for n in names if n.startswith(prefix) and self.events(n) is not None)

    # --- planning -----------------------------------------------------------------------------

    def _plan_stream(self, stream: str) -> list[Event] | None:
        parts = stream.split("/")
        try:
            if parts[0] != "run" or len(parts) < 2:
                return None
            run = self.data.run_plan(parts[1])
            if len(parts) == 2:
                return self._run_log(run)
            if len(parts) == 3 and parts[2] == "engine":
                return self._engine_log(run)
            if len(parts) == 4 and parts[2] == "task":
                task = next((t for t in self.data.task_plans(run.id) if t.id == parts[3]), None)
                return None if task is None else self._task_log(run, task)
        except KeyError:
            return None
        return None

    def _events(self, key: str, lines: list[tuple[datetime, str]]) -> list[Event]:
        rng = rng_for(self.data.seed, "ingest", key)
        lines.sort(key=lambda pair: pair[0])
        return [
            Event(_ms(at), message, _ms(at) + rng.randrange(200, 3000)) for at, message in lines
        ]

    def _ends(self, run: RunPlan) -> datetime:
        return run.stop_time(run.finish + seconds(10**7)) or run.finish

    def _run_log(self, run: RunPlan) -> list[Event]:
        lines = [
            (run.created, f"Run {run.id} created ({run.workflow.name} {run.workflow.version})"),
            (run.start, f"Run {run.id} started with {run.n_tasks} tasks"),
        ]
        status = run.status(datetime.max.replace(tzinfo=UTC))
        ended = self._ends(run)
        if run.cancel_at is not None:
            lines.append((run.cancel_at, f"Run {run.id} cancel requested"))
        lines.append((ended, f"Run {run.id} finished: {status}"))
        return self._events(f"run/{run.id}", lines)

    def _engine_log(self, run: RunPlan) -> list[Event]:
        lines: list[tuple[datetime, str]] = [(run.start, f"Engine {run.workflow.engine_version}")]
        for t in self.data.task_plans(run.id):
            if run.cancel_at is not None and t.created >= run.cancel_at:
                continue
            lines.append((t.created, f"Submitted process > {t.name} [{t.id}]"))
            stop = t.stop_time(run, datetime.max.replace(tzinfo=UTC)) or t.stopped
            verdict = "FAILED" if t.fails else "CANCELLED" if t.cancelled(run) else "COMPLETED"
            lines.append((stop, f"Process {t.name} [{t.id}] {verdict}"))
        return self._events(f"run/{run.id}/engine", lines)

    def _task_log(self, run: RunPlan, task: TaskPlan) -> list[Event] | None:
        if run.cancel_at is not None and task.created >= run.cancel_at:
            return None
        rng = rng_for(self.data.seed, "task-log", task.id)
        stop = task.stop_time(run, datetime.max.replace(tzinfo=UTC)) or task.stopped
        span = max((stop - task.started).total_seconds(), 1.0)
        # Most logs are short; every seventh is long enough to need several pages.
        count = rng.randrange(8, 40) if task.index % 7 else rng.randrange(150, 400)
        lines = [(task.started, f"Starting {task.name} on {task.instance_type}")]
        for i in range(count):
            at = task.started + seconds(span * (i + 1) / (count + 2))
            lines.append((at, f"[{task.name}] processed chunk {i + 1}/{count}"))
        if task.fails:
            lines.append((stop - seconds(2), f"ERROR {self.failure(run.id, task.id)}"))
            lines.append((stop - seconds(1), "Command exited with status 137"))
        elif task.cancelled(run):
            lines.append((stop, "Terminated: the run was cancelled"))
        else:
            lines.append((stop, f"{task.name} finished: exit status 0"))
        return self._events(f"task/{task.id}", lines)

    # --- the manifest -------------------------------------------------------------------------

    def _manifest(self, run_id: str, run_uuid: str) -> list[Event] | None:
        run = self.data.run_plan(run_id)
        ended = run.stop_time(self.data.clock.now())
        if run.uuid != run_uuid or ended is None:
            return None
        return self._manifest_events(run_id, ended)

    @lru_cache(maxsize=512)  # noqa: B019 - one emulator per process lifetime; bounded
    def _manifest_events(self, run_id: str, ended: datetime) -> list[Event]:
        return [
            Event(_ms(ended) + i, json.dumps(record, separators=(",", ":")), _ms(ended) + 5000)
            for i, record in enumerate(self.manifest_records(run_id))
        ]

    def manifest_records(self, run_id: str) -> list[dict[str, object]]:
        """The run record, then one per task that ran, as the manifest stream holds them."""
        detail = self.data.run(run_id)
        return self._records(run_id, detail["status"], detail["stopTime"])

    def _manifest_records(
        self, run_id: str, status: str, stopped: datetime | None
    ) -> list[dict[str, object]]:
        d = self.data
        run = d.run_plan(run_id)
        detail = d.run(run_id)
        arn = str(detail["arn"])
        prefix = arn.rsplit(":", 1)[0]
        start, stop = detail["startTime"], detail["stopTime"]
        running = (stop - start).total_seconds() if start and stop else 0.0
        rng = rng_for(d.seed, "manifest", run_id)
        metrics: dict[str, object] = {"runningSeconds": running}
        if run.dynamic_storage:
            metrics["storageReservedGiB"] = 0
            if running >= DYNAMIC_STORAGE_MIN_S:
                peak = round(rng.uniform(80, 900), 2)
                metrics["storageMaximumGiB"] = peak
                metrics["storageAverageGiB"] = round(peak * rng.uniform(0.4, 0.9), 2)
        else:
            metrics["storageReservedGiB"] = 1200
            peak = round(rng.uniform(100, 1100), 2)
            metrics["storageMaximumGiB"] = peak
            metrics["storageAverageGiB"] = round(peak * rng.uniform(0.4, 0.9), 2)
        run_record: dict[str, object] = {
            "arn": arn,
            "creationTime": _iso(detail["creationTime"]),
            "startTime": _iso(start),
            "stopTime": _iso(stop),
            "status": detail["status"],
            "storageType": detail["storageType"],
            "uuid": run.uuid,
            "workflow": f"{prefix}:workflow/{run.workflow.id}",
            "name": run.name,
            "metrics": metrics,
        }
        if not run.dynamic_storage:
            run_record["storageCapacity"] = 1200
        records: list[dict[str, object]] = [run_record]
        for task in d.task_details(run_id) if status != "DELETED" else []:
            records.append(self._task_record(prefix, arn, task, rng))
        return records

    @staticmethod
    def _task_record(
        prefix: str, run_arn: str, task: dict[str, Any], rng: random.Random
    ) -> dict[str, object]:
        start, stop = task.get("startTime"), task.get("stopTime")
        running = (stop - start).total_seconds() if start and stop else 0.0
        cpus, memory, gpus = int(task["cpus"]), int(task["memory"]), int(task["gpus"] or 0)
        cpu_max = round(cpus * rng.uniform(0.15, 1.0), 2)
        mem_max = round(memory * rng.uniform(0.1, 1.0), 2)
        record: dict[str, object] = {
            "arn": f"{prefix}:task/{task['taskId']}",
            "name": task["name"],
            "status": task["status"],
            "startTime": _iso(start),
            "stopTime": _iso(stop),
            "cpus": cpus,
            "memory": memory,
            "gpus": gpus,
            "image": task["imageDetails"]["image"],
            "instanceType": task["instanceType"],
            "run": run_arn,
            "metrics": {
                "cpusReserved": cpus,
                "cpusMaximum": cpu_max,
                "cpusAverage": round(cpu_max * rng.uniform(0.3, 0.95), 2),
                "gpusReserved": gpus,
                "memoryReservedGiB": memory,
                "memoryMaximumGiB": mem_max,
                "memoryAverageGiB": round(mem_max * rng.uniform(0.3, 0.95), 2),
                "runningSeconds": running,
            },
        }
        if not task.get("cacheHit"):  # cached tasks carry no creationTime
            record["creationTime"] = _iso(task.get("creationTime"))
        return record
