"""The HealthOmics world: batches, their submissions, runs and tasks, generated from a seed.

Batches and runs are planned eagerly (cheap); tasks are planned per run on first use. Every
accessor reads the plans at the clock's `now`, so listings, summaries and Get* always agree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from gateway.emulator.aws.data import (
    AWS_REGION,
    DigitIds,
    account_id,
    rng_for,
    scale_named,
    uuid_from,
)
from gateway.emulator.clock import SimClock
from gateway.emulator.edits import ListEdits
from gateway.emulator.healthomics.items import (
    Item,
    LazyItems,
    default_setting,
    project,
    run_message,
    vpc_config,
)
from gateway.emulator.healthomics.plan import BatchPlan, Submission, plan_tasks, plan_world
from gateway.emulator.healthomics.timeline import SETTLED_RUN, RunPlan, TaskPlan


@dataclass
class HealthOmicsData:
    """Ground truth for the HealthOmics emulator, in upstream order, at the clock's `now`.

    Public accessors (all return the wire-shaped dicts the API answers, datetimes unencoded):
    `batches()` → ListBatch items, newest first; `batch(id)` → GetBatch; `batch_ids()`;
    `runs_in_batch(id)` → ListRunsInBatch items in submission order; `runs(batch_id=, status=,
    name=, run_group_id=)` → ListRuns items, newest first; `all_runs()` → the same unfiltered;
    `run(id)` → GetRun (DELETED runs included); `tasks(run_id, status=)` → ListRunTasks items in
    creation order; `task(run_id, task_id)` → GetRunTask. Lookups of unknown ids raise KeyError.
    `reference_batch_id` names the 100 runs × 100 tasks batch (None at `small`).
    """

    seed: int
    scale: str
    clock: SimClock
    region: str = AWS_REGION
    account: str = field(init=False)
    reference_batch_id: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.account = account_id(self.seed)
        world = plan_world(self.seed, scale_named(self.scale))
        self._batches: dict[str, BatchPlan] = {b.id: b for b in world.batches}
        self._runs: dict[str, RunPlan] = {r.id: r for r in world.runs}
        self._run_groups = world.run_groups
        self._task_ids = DigitIds(self.seed, 3, 10)
        self.reference_batch_id = world.reference_batch_id
        self._tasks = lru_cache(maxsize=4096)(self._plan_tasks)
        self._order: list[RunPlan] | None = None
        #: Insertions and deletions made through the control API (gateway/emulator/edits.py).
        self.edits: ListEdits[Any] = ListEdits(self.seed)

    # --- summaries -----------------------------------------------------------------------
    def dataset_summary(self) -> dict[str, Any]:
        return {self.region: {"batches": self.batch_ids()}}

    def batch_ids(self) -> list[str]:
        return [b["id"] for b in self.batches()]

    def run_group_ids(self) -> list[str]:
        return list(self._run_groups)

    # --- batches --------------------------------------------------------------------------
    def _batch_runs(self, plan: BatchPlan) -> list[RunPlan]:
        return [s.run for s in plan.submissions if s.run is not None]

    def batch_status(self, plan: BatchPlan, now: datetime) -> str:
        statuses = [r.status(now) for r in self._batch_runs(plan)]
        if plan.status == "INPROGRESS" and all(s in SETTLED_RUN for s in statuses):
            return "PROCESSED"
        if plan.status == "STOPPING" and not {"STOPPING", "RUNNING", "PENDING", "STARTING"} & set(
            statuses
        ):
            return "CANCELLED"
        return plan.status

    def batch(self, batch_id: str) -> Item:
        plan = self._batches[batch_id]
        now = self.clock.now()
        status = self.batch_status(plan, now)
        runs = self._batch_runs(plan)
        run_counts = dict.fromkeys(
            (
                "PENDING",
                "STARTING",
                "RUNNING",
                "STOPPING",
                "COMPLETED",
                "DELETED",
                "FAILED",
                "CANCELLED",
            ),
            0,
        )
        for r in runs:
            run_counts[r.status(now)] += 1
        subs = [s.status for s in plan.submissions]
        stops = [r.stop_time(now) for r in runs]
        processed = None
        if status in ("PROCESSED", "CANCELLED") or status.startswith("RUNS_DELET"):
            settled = [s for s in stops if s is not None]
            processed = max(settled, default=plan.submitted)
        rng = rng_for(self.seed, "batch-setting", batch_id)
        return {
            "id": plan.id,
            "arn": f"arn:aws:omics:{self.region}:{self.account}:runBatch/{plan.id}",
            "uuid": plan.uuid,
            "name": plan.name,
            "status": status,
            "tags": {"project": plan.project, "owner": "genomics-platform"},
            "totalRuns": plan.total_runs,
            "defaultRunSetting": default_setting(plan, rng, self.account),
            "submissionSummary": {
                "successfulStartSubmissionCount": len(subs) - subs.count("FAILED"),
                "failedStartSubmissionCount": subs.count("FAILED"),
                "pendingStartSubmissionCount": plan.total_runs - len(subs),
                "successfulCancelSubmissionCount": subs.count("CANCEL_SUCCESS"),
                "failedCancelSubmissionCount": subs.count("CANCEL_FAILED"),
                "successfulDeleteSubmissionCount": subs.count("DELETE_SUCCESS"),
                "failedDeleteSubmissionCount": subs.count("DELETE_FAILED"),
            },
            "runSummary": {f"{k.lower()}RunCount": v for k, v in run_counts.items()},
            "creationTime": plan.created,
            "submittedTime": plan.submitted,
            "processedTime": processed,
            "failedTime": plan.failed_at,
            "failureReason": plan.failure_reason,
        }

    def batches(
        self, status: str | None = None, name: str | None = None, run_group_id: str | None = None
    ) -> list[Item]:
        now = self.clock.now()
        plans = sorted(self._batches.values(), key=lambda b: (b.created, b.id), reverse=True)
        out = []
        for p in self.edits.view(("ListBatch", ""), plans, lambda b: str(b.id)):
            st = self.batch_status(p, now)
            if status is not None and st != status:
                continue
            if name is not None and p.name != name:
                continue
            if run_group_id is not None and p.run_group_id != run_group_id:
                continue
            out.append(
                {
                    "id": p.id,
                    "name": p.name,
                    "status": st,
                    "createdAt": p.created,
                    "totalRuns": p.total_runs,
                    "workflowId": p.workflow.id,
                }
            )
        return out

    def runs_in_batch(self, batch_id: str) -> list[Item]:
        items = [self._submission(s) for s in self._batches[batch_id].submissions]
        scope = ("ListRunsInBatch", batch_id)
        return list(self.edits.view(scope, items, lambda i: str(i["runSettingId"])))

    def _submission(self, s: Submission) -> Item:
        run = s.run
        return {
            "runSettingId": s.run_setting_id,
            "runId": run.id if run else None,
            "runInternalUuid": run.uuid if run else None,
            "runArn": f"arn:aws:omics:{self.region}:{self.account}:run/{run.id}" if run else None,
            "submissionStatus": s.status,
            "submissionFailureReason": s.failure_reason,
            "submissionFailureMessage": s.failure_message,
        }

    # --- runs -----------------------------------------------------------------------------
    def runs(
        self,
        batch_id: str | None = None,
        status: str | None = None,
        name: str | None = None,
        run_group_id: str | None = None,
    ) -> list[Item]:
        return list(self.runs_view(batch_id, status, name, run_group_id))

    def runs_view(
        self,
        batch_id: str | None = None,
        status: str | None = None,
        name: str | None = None,
        run_group_id: str | None = None,
    ) -> Sequence[Item]:
        """ListRuns items built only when read, so a page of a large world costs one page."""
        now = self.clock.now()
        if self._order is None:
            self._order = sorted(self._runs.values(), key=lambda r: (r.created, r.id), reverse=True)
        plans = [
            r
            for r in self.edits.view(("ListRuns", ""), self._order, lambda r: str(r.id))
            if (batch_id is None or r.batch_id == batch_id)
            and (run_group_id is None or r.run_group_id == run_group_id)
            and (name is None or r.name == name)
            and (status is None or r.status(now) == status)
        ]
        return LazyItems(plans, self._run_item)

    def _run_item(self, r: RunPlan) -> Item:
        return project("RunListItem", self.run(r.id), workflowName=r.workflow.name)

    def all_runs(self) -> list[Item]:
        return self.runs()

    def remove_run(self, run_id: str) -> None:
        """Forget a run entirely, as when upstream stops keeping it (tests of the catalogue)."""
        del self._runs[run_id]
        self._order = None

    def run_plan(self, run_id: str) -> RunPlan:
        return self._runs[run_id]

    def add_run(self, plan: RunPlan) -> None:
        """Make a run inserted through the control API known to GetRun (not to any batch)."""
        self._runs[plan.id] = plan

    def run(self, run_id: str) -> Item:
        r = self._runs[run_id]
        now = self.clock.now()
        status = r.status(now)
        wf = r.workflow
        acct = self.account
        out = f"s3://omics-output-{acct}/runs/"
        failed = status == "FAILED"
        return {
            "arn": f"arn:aws:omics:{self.region}:{acct}:run/{r.id}",
            "id": r.id,
            "cacheId": r.cache_id,
            "cacheBehavior": "CACHE_ALWAYS" if r.k % 3 == 0 else "CACHE_ON_FAILURE",
            "engineVersion": wf.engine_version,
            "status": status,
            "workflowId": wf.id,
            "workflowType": wf.type,
            "runId": r.id,
            "roleArn": f"arn:aws:iam::{acct}:role/OmicsWorkflowRole",
            "name": r.name,
            "runGroupId": r.run_group_id,
            "batchId": r.batch_id,
            "priority": r.priority,
            "definition": f"s3://omics-workflows-{acct}/{wf.name}/{wf.version}/main.{wf.engine}",
            "digest": wf.digest,
            "parameters": {"sample_id": r.name, "input": f"s3://omics-input-{acct}/{r.name}/"},
            "storageCapacity": None if r.dynamic_storage else 1200,
            "outputUri": out,
            "logLevel": r.log_level,
            "resourceDigests": {
                f"{acct}.dkr.ecr.{self.region}.amazonaws.com/{wf.name}:{wf.version}": wf.digest
            },
            "startedBy": f"arn:aws:sts::{acct}:assumed-role/OmicsOperator/pipeline-bot",
            "creationTime": r.created,
            "startTime": r.start_time(now),
            "stopTime": r.stop_time(now) if status in SETTLED_RUN else None,
            "statusMessage": run_message(r, status),
            "tags": {"sample": r.name, "workflow": wf.name},
            "accelerators": "GPU" if wf.gpu else None,
            "retentionMode": "REMOVE" if r.k % 5 == 0 else "RETAIN",
            "failureReason": "TASK_FAILED" if failed else None,
            "logLocation": {"engineLogStream": f"run/{r.id}/engine", "runLogStream": f"run/{r.id}"},
            "uuid": r.uuid,
            "runOutputUri": f"{out}{r.id}",
            "storageType": "DYNAMIC" if r.dynamic_storage else "STATIC",
            "workflowOwnerId": acct,
            "workflowVersionName": wf.version,
            "workflowUuid": wf.uuid,
            "networkingMode": "VPC" if r.vpc else "RESTRICTED",
            "scratchStorageMode": "SHARED" if r.dynamic_storage else "LOCAL",
            "configuration": {
                "name": "default-config",
                "arn": f"arn:aws:omics:{self.region}:{acct}:configuration/default-config",
                "uuid": uuid_from(rng_for(self.seed, "config")),
            },
            "vpcConfig": vpc_config(self.seed, r, self.account) if r.vpc else None,
            "engineSettings": {"resume": r.k % 2 == 0},
            "sessionPolicy": json.dumps({"Version": "2012-10-17", "Statement": []})
            if r.vpc
            else None,
        }

    # --- tasks ----------------------------------------------------------------------------
    def log_stream_arn(self, stream: str) -> str:
        """A stream of the workflow log group as GetRunTask names it: an ARN."""
        return (
            f"arn:aws:logs:{self.region}:{self.account}:log-group:/aws/omics/WorkflowLog"
            f":log-stream:{stream}"
        )

    def run_plans(self) -> list[RunPlan]:
        """Every run's plan (what the EventBridge emitter reads statuses from)."""
        return list(self._runs.values())

    def _plan_tasks(self, run_id: str) -> list[TaskPlan]:
        registry = f"{self.account}.dkr.ecr.{self.region}.amazonaws.com"
        return plan_tasks(self.seed, self._runs[run_id], self._task_ids, registry)

    def _task_item(self, r: RunPlan, t: TaskPlan, now: datetime) -> Item:
        status = t.status(r, now)
        messages = {"FAILED": "Process exited with status 137", "CANCELLED": "Run was cancelled"}
        return {
            "taskId": t.id,
            "status": status,
            "name": t.name,
            "cpus": t.cpus,
            "cacheHit": t.cache_hit,
            "cacheS3Uri": f"s3://omics-cache-{self.account}/{r.cache_id}/{t.uuid}/",
            "memory": t.memory,
            "creationTime": t.created,
            "startTime": t.start_time(r, now),
            "stopTime": t.stop_time(r, now)
            if status in ("COMPLETED", "FAILED", "CANCELLED")
            else None,
            "statusMessage": messages.get(status),
            "logStream": self.log_stream_arn(f"run/{r.id}/task/{t.id}"),
            "gpus": t.gpus,
            "instanceType": t.instance_type,
            "failureReason": "OUT_OF_MEMORY" if status == "FAILED" else None,
            "imageDetails": {
                "image": t.image,
                "imageDigest": t.image_digest,
                "sourceImage": t.image.split("/", 1)[1],
            },
            "uuid": t.uuid,
        }

    def task_details(self, run_id: str) -> list[Item]:
        """GetRunTask of every visible task of a run, in creation order, in one pass."""
        r = self._runs[run_id]
        now = self.clock.now()
        return [self._task_item(r, t, now) for t in self._tasks(run_id) if t.visible(r, now)]

    def task_plans(self, run_id: str) -> list[TaskPlan]:
        """Every planned task of a run (visible or not yet): logs and the manifest read these."""
        return self._tasks(run_id)

    def run_ids(self) -> list[str]:
        return list(self._runs)

    def tasks(self, run_id: str, status: str | None = None) -> list[Item]:
        r = self._runs[run_id]
        now = self.clock.now()
        items = [self._task_item(r, t, now) for t in self._tasks(run_id) if t.visible(r, now)]
        items = list(self.edits.view(("ListRunTasks", run_id), items, lambda i: str(i["taskId"])))
        full = [i for i in items if status is None or i["status"] == status]
        return [project("TaskListItem", i) for i in full]

    def task(self, run_id: str, task_id: str) -> Item:
        r = self._runs[run_id]
        now = self.clock.now()
        for t in self._tasks(run_id):
            if t.id == task_id and t.visible(r, now):
                return self._task_item(r, t, now)
        raise KeyError(task_id)
