"""The DataZone world: domains, lineage jobs and their runs, generated from a seed.

DataZone has no GetJob, so a job exists only through its runs listing; some jobs have none and
one has more than a hundred, the two cases clients get wrong. Runs are read at the clock's `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.emulator.aws.data import (
    AWS_REGION,
    account_id,
    alnum_id,
    at_or_none,
    rng_for,
    scale_named,
    seconds,
)
from gateway.emulator.clock import EPOCH, SimClock
from gateway.emulator.edits import ListEdits

Item = dict[str, Any]

RUN_STATUSES = ["SCHEDULED", "IN_PROGRESS", "SUCCESS", "PARTIALLY_SUCCEEDED", "FAILED", "ABORTED",
                "TIMED_OUT", "CANCELED"]  # fmt: skip
_ERRORS = {
    "FAILED": "Lineage extraction failed: AccessDenied on glue:GetTable",
    "PARTIALLY_SUCCEEDED": "3 of 40 queries could not be parsed",
    "ABORTED": "Run aborted: the data source was deleted",
    "TIMED_OUT": "Run exceeded the 2 hour limit",
}


@dataclass(frozen=True)
class JobRunPlan:
    """One job run's fixed facts; its status is SCHEDULED, IN_PROGRESS, then `outcome`."""

    domain_id: str
    job_id: str
    run_id: str
    run_mode: str
    created: datetime
    start: datetime
    end: datetime
    outcome: str
    created_by: str
    queries: int

    def status(self, now: datetime) -> str:
        if now < self.start:
            return "SCHEDULED"
        if now < self.end:
            return "IN_PROGRESS"
        return self.outcome


@dataclass
class DataZoneData:
    """Ground truth for the DataZone emulator at the clock's `now`, in upstream order.

    Public accessors: `domains()` → domain ids; `jobs(domain_id)` → job ids; `job_runs(domain_id,
    job_id, status=None, sort_order="DESCENDING")` → ListJobRuns items (newest first unless
    ASCENDING); `job_run(domain_id, run_id)` → GetJobRun. Unknown ids raise KeyError.
    `empty_job` and `busy_job` are (domain, job) pairs with 0 and with >100 runs.
    """

    seed: int
    scale: str
    clock: SimClock
    region: str = AWS_REGION
    empty_job: tuple[str, str] = field(init=False)
    busy_job: tuple[str, str] = field(init=False)

    def __post_init__(self) -> None:
        #: Insertions and deletions made through the control API (gateway/emulator/edits.py).
        self.edits: ListEdits[Item] = ListEdits(self.seed)
        sc = scale_named(self.scale)
        acct = account_id(self.seed)
        self._jobs: dict[str, dict[str, list[JobRunPlan]]] = {}
        self._runs: dict[tuple[str, str], JobRunPlan] = {}
        for d in range(sc.dz_domains):
            rng = rng_for(self.seed, "dz-domain", d)
            domain = f"dzd_{alnum_id(rng)}"
            jobs: dict[str, list[JobRunPlan]] = {}
            for j in range(sc.dz_jobs_per_domain):
                jrng = rng_for(self.seed, "dz-job", d, j)
                job = alnum_id(jrng)
                if j == 0:
                    count = 0
                elif j == 1:
                    count = max(130, sc.dz_runs_per_job[1])
                else:
                    count = jrng.randint(*sc.dz_runs_per_job)
                jobs[job] = [self._plan(jrng, domain, job, i, count, acct) for i in range(count)]
                for run in jobs[job]:
                    self._runs[(domain, run.run_id)] = run
            self._jobs[domain] = jobs
            if d == 0:
                self.empty_job = (domain, next(iter(jobs)))
                self.busy_job = (domain, list(jobs)[1])

    @staticmethod
    def _plan(rng: Any, domain: str, job: str, i: int, count: int, acct: str) -> JobRunPlan:
        # Runs are hourly going back in time; the newest few are scheduled or in progress.
        status = RUN_STATUSES[i % len(RUN_STATUSES)]
        mode = "ON_DEMAND" if rng.random() < 0.3 else "SCHEDULED"
        duration = rng.uniform(60, 1800)
        if status == "SCHEDULED":
            created = EPOCH - seconds(rng.uniform(1, 300))
            start = EPOCH + seconds(rng.uniform(60, 3600))
            outcome = "SUCCESS"
        elif status == "IN_PROGRESS":
            start = EPOCH - seconds(rng.uniform(1, duration - 1))
            created = start - seconds(rng.uniform(1, 30))
            outcome = rng.choice(["SUCCESS", "PARTIALLY_SUCCEEDED"])
        else:
            created = EPOCH - seconds(3600 * (count - i + 2) + rng.uniform(0, 1800))
            start = created + seconds(rng.uniform(1, 30))
            outcome = status
        # DataZone sends epoch seconds as numbers; whole seconds survive float parsing exactly.
        created, start = created.replace(microsecond=0), start.replace(microsecond=0)
        end = start + seconds(round(duration))
        return JobRunPlan(
            domain_id=domain,
            job_id=job,
            run_id=alnum_id(rng),
            run_mode=mode,
            created=created,
            start=start,
            end=end,
            outcome=outcome,
            created_by=f"arn:aws:iam::{acct}:role/DataZoneLineageRole",
            queries=rng.randint(1, 60),
        )

    def dataset_summary(self) -> dict[str, Any]:
        return {self.region: {"domains": {d: {"jobs": self.jobs(d)} for d in self.domains()}}}

    def domains(self) -> list[str]:
        return list(self._jobs)

    def jobs(self, domain_id: str) -> list[str]:
        return list(self._jobs[domain_id])

    def _item(self, run: JobRunPlan, now: datetime, full: bool) -> Item:
        status = run.status(now)
        item: Item = {
            "domainId": run.domain_id,
            "jobId": run.job_id,
            "jobType": "LINEAGE",
            "runMode": run.run_mode,
            "status": status,
            "error": {"message": _ERRORS[status]} if status in _ERRORS else None,
            "createdBy": run.created_by,
            "createdAt": run.created,
            "startTime": at_or_none(run.start, now),
            "endTime": at_or_none(run.end, now),
        }
        if not full:
            return {"runId": run.run_id, **item}
        failed = 0 if status == "SUCCESS" else min(run.queries, 3)
        started = run.start <= now
        details = {
            "queryStartTime": at_or_none(run.start, now),
            "queryEndTime": at_or_none(run.end, now),
            "totalQueriesProcessed": run.queries if status != "IN_PROGRESS" else run.queries // 2,
            "numQueriesFailed": failed,
            "errorMessages": [f"query {q + 1}: unsupported statement" for q in range(failed)],
        }
        return {
            "id": run.run_id,
            **item,
            "details": {"lineageRunDetails": {"sqlQueryRunDetails": details}} if started else None,
        }

    def job_runs(
        self,
        domain_id: str,
        job_id: str,
        status: str | None = None,
        sort_order: str = "DESCENDING",
    ) -> list[Item]:
        now = self.clock.now()
        runs = sorted(
            self._jobs[domain_id][job_id], key=lambda r: (r.created, r.run_id), reverse=True
        )
        newest_first = [self._item(r, now, full=False) for r in runs]
        scope = ("ListJobRuns", f"{domain_id}/{job_id}")
        items = list(self.edits.view(scope, newest_first, lambda i: str(i["runId"])))
        if sort_order == "ASCENDING":
            items.reverse()
        return [i for i in items if status is None or i["status"] == status]

    def job_run(self, domain_id: str, run_id: str) -> Item:
        if domain_id not in self._jobs:
            raise KeyError(domain_id)
        return self._item(self._runs[(domain_id, run_id)], self.clock.now(), full=True)
