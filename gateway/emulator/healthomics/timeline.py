"""HealthOmics runs and tasks as timelines: their status at any simulated instant.

A run is a plan of instants (created, start, finish, maybe cancel or delete); what GetRun and
ListRunTasks show is that plan read at the clock's `now`, so advancing the clock moves live runs
forward while settled ones stay put.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.emulator.aws.data import seconds

STARTING_S = 180.0
STOP_S = 300.0
TASK_PENDING_S = 15.0
TASK_STARTING_S = 15.0
SETTLED_RUN = frozenset({"COMPLETED", "FAILED", "CANCELLED", "DELETED"})


@dataclass(frozen=True)
class Workflow:
    id: str
    name: str
    uuid: str
    type: str
    version: str
    engine_version: str
    digest: str
    engine: str
    gpu: bool


@dataclass(frozen=True)
class RunPlan:
    """Everything fixed about one run; its status and times follow from `now`."""

    k: int
    id: str
    uuid: str
    name: str
    batch_id: str | None
    run_setting_id: str | None
    run_group_id: str | None
    workflow: Workflow
    created: datetime
    start: datetime
    n_tasks: int
    parallel: int
    wave_s: float
    fails: bool
    cancel_at: datetime | None
    deleted_at: datetime | None
    priority: int
    dynamic_storage: bool
    vpc: bool
    cache_id: str
    log_level: str

    @property
    def finish(self) -> datetime:
        waves = -(-self.n_tasks // self.parallel)
        return self.start + seconds(max(waves, 1) * self.wave_s)

    def status(self, now: datetime) -> str:
        if self.deleted_at is not None and now >= self.deleted_at:
            return "DELETED"
        if now < self.start - seconds(STARTING_S):
            return "PENDING"
        if now < self.start:
            return "STARTING"
        if self.cancel_at is not None and now >= self.cancel_at:
            return "STOPPING" if now < self.cancel_at + seconds(STOP_S) else "CANCELLED"
        if now < self.finish:
            return "RUNNING"
        return "FAILED" if self.fails else "COMPLETED"

    def stop_time(self, now: datetime) -> datetime | None:
        end = self.finish if self.cancel_at is None else self.cancel_at + seconds(STOP_S)
        return end if end <= now else None

    def start_time(self, now: datetime) -> datetime | None:
        return self.start if self.start <= now else None


@dataclass(frozen=True)
class TaskPlan:
    """One task's fixed instants and resources; `status(now)` reads it on the run's timeline."""

    index: int
    id: str
    uuid: str
    name: str
    created: datetime
    started: datetime
    stopped: datetime
    cpus: int
    memory: int
    gpus: int
    instance_type: str
    cache_hit: bool
    image: str
    image_digest: str
    fails: bool

    def visible(self, run: RunPlan, now: datetime) -> bool:
        return self.created <= now and (run.cancel_at is None or self.created < run.cancel_at)

    def cancelled(self, run: RunPlan) -> bool:
        return run.cancel_at is not None and self.stopped > run.cancel_at

    def status(self, run: RunPlan, now: datetime) -> str:
        if self.cancelled(run) and run.cancel_at is not None and now >= run.cancel_at:
            return "STOPPING" if now < run.cancel_at + seconds(STOP_S) else "CANCELLED"
        if now < self.created + seconds(TASK_PENDING_S):
            return "PENDING"
        if now < self.started:
            return "STARTING"
        if now < self.stopped:
            return "RUNNING"
        return "FAILED" if self.fails else "COMPLETED"

    def start_time(self, run: RunPlan, now: datetime) -> datetime | None:
        limit = run.cancel_at if run.cancel_at is not None else self.started
        return self.started if self.started <= now and self.started <= limit else None

    def stop_time(self, run: RunPlan, now: datetime) -> datetime | None:
        end = self.stopped
        if self.cancelled(run) and run.cancel_at is not None:
            end = run.cancel_at + seconds(STOP_S)
        return end if end <= now else None


def task_instants(run: RunPlan, index: int, fraction: float) -> tuple[datetime, datetime, datetime]:
    """When task `index` is created, starts and stops: tasks run in waves of `run.parallel`."""
    wave, slot = divmod(index, run.parallel)
    created = run.start + seconds(wave * run.wave_s + slot * 2)
    started = created + seconds(TASK_PENDING_S + TASK_STARTING_S)
    if run.fails and index == run.n_tasks - 1:
        return created, started, run.finish - seconds(5)
    return created, started, started + seconds(run.wave_s * fraction)
