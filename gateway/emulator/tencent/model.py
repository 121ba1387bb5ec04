"""Tencent Omics run lifecycles: the timeline of one run, evaluated at any simulated instant.

A run's whole future is fixed when it is generated (when it leaves INIT, starts, ends, and how);
its status at a given clock reading is a pure function of that plan, so settled runs never change
and a running one moves forward only as the emulator clock advances.

Status values: the SDK's docstrings name none for runs or run groups, so the emulator uses the
upper-case vocabulary of the documented example (`SUCCESS`) for the whole lifecycle:
INIT → PENDING → RUNNING → SUCCESS | FAILED | CANCELED (a run may be CANCELED while still
pending, and then never starts). Calls use PENDING, RUNNING, SUCCESS, FAILED, CANCELED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

#: Tencent answers in China Standard Time, as in the documented example ("...+08:00").
CST = timezone(timedelta(hours=8), "CST")

RUN_STATUSES: tuple[str, ...] = ("INIT", "PENDING", "RUNNING", "SUCCESS", "FAILED", "CANCELED")
SETTLED_STATUSES: frozenset[str] = frozenset({"SUCCESS", "FAILED", "CANCELED"})
CALL_STATUSES: tuple[str, ...] = ("PENDING", "RUNNING", "SUCCESS", "FAILED", "CANCELED")
#: Run group statuses, derived from the group's runs (see `group_status`).
GROUP_STATUSES: tuple[str, ...] = ("INIT", "RUNNING", "SUCCESS", "FAILED", "CANCELED")


def fmt_time(t: datetime | None) -> str:
    """Tencent's time format ("2022-10-31T14:11:23+08:00"); "" where the instant has not come."""
    if t is None:
        return ""
    return t.astimezone(CST).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Timeline:
    """When one run leaves INIT, starts and ends, and how it ends.

    `start >= end` means the run was cancelled while pending and never started.
    """

    submit: datetime
    pending_at: datetime
    start: datetime
    end: datetime
    outcome: str

    @property
    def never_starts(self) -> bool:
        return self.start >= self.end

    def status(self, now: datetime) -> str:
        if now < self.pending_at:
            return "INIT"
        if now < self.start and now < self.end:
            return "PENDING"
        if now < self.end:
            return "RUNNING"
        return self.outcome

    def started(self, now: datetime) -> datetime | None:
        """The start time, once it has happened (never for a run cancelled while pending)."""
        if self.never_starts or now < self.start:
            return None
        return self.start

    def ended(self, now: datetime) -> datetime | None:
        return self.end if now >= self.end else None

    def updated(self, now: datetime) -> datetime:
        """The last state change at or before `now` (UpdateTime)."""
        latest = self.submit
        for t in (self.pending_at, self.start, self.end):
            if t <= now and t > latest:
                latest = t
        return latest


def group_status(statuses: list[str]) -> str:
    """A run group's status from its runs: INIT until one starts, RUNNING while any is live."""
    if not statuses or all(s in ("INIT", "PENDING") for s in statuses):
        return "INIT"
    if any(s not in SETTLED_STATUSES for s in statuses):
        return "RUNNING"
    if all(s == "SUCCESS" for s in statuses):
        return "SUCCESS"
    if "FAILED" in statuses:
        return "FAILED"
    return "CANCELED"


@dataclass(frozen=True)
class GroupSpec:
    """A run group's fixed attributes; its counts and status are derived from its runs."""

    run_group_id: str
    project_id: str
    name: str
    template: str
    engine: str
    application_id: str
    application_name: str
    version_id: str
    version_name: str
    access_mode: str
    environment_id: str
    environment_name: str
    table_id: str
    input_type: str
    input_template_id: str
    volume_id: str
    create_time: datetime
    creator: str
    creator_id: str
    bucket: str
    failure_mode: str
    use_call_cache: bool
    timeout_minutes: int


@dataclass(frozen=True)
class RunSpec:
    """One run: its place (project, group), its timeline and what its call tree is built from.

    `call_seed` makes the call tree the same on every start; `cut_pick` picks, for a run that
    fails or is cancelled, the call during which that happens.
    """

    uuid: str
    project_id: str
    run_group_id: str
    timeline: Timeline
    template: str
    call_seed: int
    cut_pick: float
    user_defined_id: str
    table_row_uuid: str
    sample: str


@dataclass(frozen=True)
class ProjectSpec:
    project_id: str
    name: str
    groups: tuple[GroupSpec, ...]
