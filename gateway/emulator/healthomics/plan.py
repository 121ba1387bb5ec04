"""Plans the HealthOmics world: which batches exist, what each submission did, which runs ran.

Each batch follows an archetype (one per batch status) so every status of every enum appears at
the epoch; run instants are worked backwards from the epoch so each run is in its intended state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from gateway.emulator.aws.data import DigitIds, Scale, hex_digest, rng_for, seconds, uuid_from
from gateway.emulator.clock import EPOCH
from gateway.emulator.healthomics.timeline import (
    STARTING_S,
    RunPlan,
    TaskPlan,
    Workflow,
    task_instants,
)

Pattern = list[tuple[str, str | None]]

#: Per batch status: the (submission status, run state) pairs its submissions cycle through.
ARCHETYPES: dict[str, Pattern] = {
    "PROCESSED": [
        ("SUCCESS", "COMPLETED"),
        ("SUCCESS", "COMPLETED"),
        ("FAILED", None),
        ("SUCCESS", "FAILED"),
        ("SUCCESS", "COMPLETED"),
    ],
    "INPROGRESS": [
        ("SUCCESS", "RUNNING"),
        ("SUCCESS", "COMPLETED"),
        ("SUCCESS", "STARTING"),
        ("SUCCESS", "PENDING"),
        ("SUCCESS", "FAILED"),
    ],
    "SUBMITTING": [("SUCCESS", "PENDING"), ("SUCCESS", "STARTING")],
    "PENDING": [],
    "CREATING": [],
    "STOPPING": [
        ("CANCEL_SUCCESS", "STOPPING"),
        ("CANCEL_SUCCESS", "CANCELLED"),
        ("CANCEL_FAILED", "COMPLETED"),
    ],
    "CANCELLED": [
        ("CANCEL_SUCCESS", "CANCELLED"),
        ("CANCEL_SUCCESS", "CANCELLED"),
        ("CANCEL_FAILED", "FAILED"),
    ],
    "FAILED": [("FAILED", None)],
    "RUNS_DELETING": [("DELETE_SUCCESS", "DELETED"), ("SUCCESS", "COMPLETED")],
    "RUNS_DELETED": [("DELETE_SUCCESS", "DELETED")],
    "RUNS_DELETE_FAILED": [("DELETE_FAILED", "COMPLETED"), ("DELETE_SUCCESS", "DELETED")],
}
#: Run states for runs outside any batch, cycled so ListRuns alone shows every status.
STANDALONE_STATES = [
    "COMPLETED",
    "RUNNING",
    "FAILED",
    "PENDING",
    "STARTING",
    "STOPPING",
    "CANCELLED",
    "DELETED",
]
_LIVE = {"RUNNING", "PENDING", "STARTING", "STOPPING"}
_SUBMISSION_FAILURES = [
    ("ValidationException", "Parameter 'input_fastq' is not a valid S3 URI"),
    ("AccessDeniedException", "Role cannot read s3://omics-input/ (s3:GetObject denied)"),
    ("ServiceQuotaExceededException", "Concurrent run quota of 10 exceeded for this account"),
]
_TASK_STEPS = [
    "FASTQC",
    "BWA_MEM2",
    "MARK_DUPLICATES",
    "BQSR",
    "HAPLOTYPE_CALLER",
    "GENOTYPE_GVCFS",
]
_INSTANCES = [("omics.c.large", 2, 4), ("omics.m.xlarge", 4, 16), ("omics.r.2xlarge", 8, 64)]
#: GPU workflows run every task on an accelerated instance (a recommendation keeps its type).
_GPU_INSTANCE = ("omics.g5.xlarge", 4, 16)
_PROJECTS = ["cohort-a", "rare-disease", "tumor-normal", "rnaseq-atlas"]


@dataclass(frozen=True)
class Submission:
    """One runSetting of a batch: what its last submission action did, and its run if any."""

    run_setting_id: str
    status: str
    run: RunPlan | None
    failure_reason: str | None = None
    failure_message: str | None = None


@dataclass(frozen=True)
class BatchPlan:
    id: str
    uuid: str
    name: str
    status: str
    project: str
    workflow: Workflow
    run_group_id: str | None
    cache_id: str
    created: datetime
    submitted: datetime | None
    failed_at: datetime | None
    failure_reason: str | None
    total_runs: int
    submissions: tuple[Submission, ...]


@dataclass(frozen=True)
class World:
    batches: list[BatchPlan]
    runs: list[RunPlan]
    run_groups: list[str]
    reference_batch_id: str | None


def _workflows(seed: int) -> list[Workflow]:
    ids = DigitIds(seed, 5, 7)
    specs = [
        ("gatk-germline", "READY2RUN", "wdl", False),
        ("nf-core-rnaseq", "PRIVATE", "nf", False),
        ("bwa-mem2-align", "PRIVATE", "wdl", False),
        ("alphafold-monomer", "PRIVATE", "nf", True),
    ]
    out = []
    for i, (name, kind, engine, gpu) in enumerate(specs):
        rng = rng_for(seed, "workflow", i)
        out.append(
            Workflow(
                ids(i),
                name,
                uuid_from(rng),
                kind,
                f"v{i + 1}.{rng.randrange(10)}",
                rng.choice(["23.10.1", "24.04.4"]),
                hex_digest(rng),
                engine,
                gpu,
            )
        )
    return out


class _Planner:
    def __init__(self, seed: int, scale: Scale) -> None:
        self.seed = seed
        self.scale = scale
        self.run_ids = DigitIds(seed, 4, 7)
        self.batch_ids = DigitIds(seed, 9, 7)
        self.workflows = _workflows(seed)
        self.run_groups = [DigitIds(seed, 7, 7)(i) for i in range(3)]
        self.cache_ids = [DigitIds(seed, 6, 7)(i) for i in range(2)]
        self.runs: list[RunPlan] = []
        self.aligned = False

    def run(
        self,
        rng: random.Random,
        state: str,
        *,
        n_tasks: int,
        age_s: float,
        name: str,
        batch_id: str | None,
        setting: str | None,
        group: str | None,
        workflow: Workflow,
    ) -> RunPlan:
        parallel = rng.choice([4, 8, 16])
        wave_s = float(rng.randrange(600, 1800))
        queue = rng.uniform(30, 600)
        cancel_at = deleted_at = None
        if state == "RUNNING" and not self.aligned:
            # The first running run sits 25 s into a wave: its newest tasks are PENDING/STARTING.
            self.aligned, parallel = True, 16
            start = EPOCH - seconds(rng.randrange(-(-n_tasks // parallel)) * wave_s + 25)
        elif state == "RUNNING":  # early in a wave, so that wave's tasks are all RUNNING
            wave = rng.randrange(-(-n_tasks // parallel))
            start = EPOCH - seconds(wave * wave_s + rng.uniform(70, wave_s / 4))
        elif state == "STARTING":
            start = EPOCH + seconds(rng.uniform(10, STARTING_S - 10))
        elif state == "PENDING":
            start = EPOCH + seconds(STARTING_S + rng.uniform(60, 3600))
            queue = (start - EPOCH).total_seconds() - STARTING_S + rng.uniform(10, 600)
        elif state == "STOPPING":
            total = -(-n_tasks // parallel) * wave_s
            cancel_at = EPOCH - seconds(rng.uniform(10, 250))
            start = cancel_at - seconds(total * rng.uniform(0.1, 0.6))
        else:  # settled: finished (or cancelled) well before the epoch
            total = -(-n_tasks // parallel) * wave_s
            start = EPOCH - seconds(age_s + total + rng.uniform(600, 3 * 3600) + 2 * 86400)
            if state == "CANCELLED":
                cancel_at = start + seconds(total * rng.uniform(0.1, 0.6))
            if state == "DELETED":
                deleted_at = start + seconds(total + rng.uniform(3600, 86400))
        k = len(self.runs)
        plan = RunPlan(
            k=k,
            id=self.run_ids(k),
            uuid=uuid_from(rng),
            name=name,
            batch_id=batch_id,
            run_setting_id=setting,
            run_group_id=group,
            workflow=workflow,
            created=start - seconds(STARTING_S + queue),
            start=start,
            n_tasks=n_tasks,
            parallel=parallel,
            wave_s=wave_s,
            fails=state == "FAILED",
            cancel_at=cancel_at,
            deleted_at=deleted_at,
            priority=rng.choice([0, 10, 100, 1000]),
            dynamic_storage=k % 4 == 1,
            vpc=k % 7 == 3,
            cache_id=rng.choice(self.cache_ids),
            log_level=rng.choice(["ALL", "ERROR", "FATAL", "OFF"]),
        )
        self.runs.append(plan)
        return plan

    def batch(self, index: int, status: str, copy: int, reference: bool = False) -> BatchPlan:
        rng = rng_for(self.seed, "batch", index)
        bid = self.batch_ids(index)
        project = rng.choice(_PROJECTS)
        name = (
            "reference" if reference else f"{project}-{status.lower().replace('_', '-')}-{copy + 1}"
        )
        workflow = self.workflows[0] if reference else rng.choice(self.workflows)
        group = None if rng.random() < 0.25 else rng.choice(self.run_groups)
        lo, hi = self.scale.runs_per_batch
        total = 100 if reference else rng.randint(lo, hi)
        pattern: Pattern = [("SUCCESS", "COMPLETED")] if reference else ARCHETYPES[status]
        listed = total
        if status in ("PENDING", "CREATING"):
            listed = 0
        elif status == "SUBMITTING":
            listed = max(1, total // 2)
        live = any(state in _LIVE for _, state in pattern)
        age = 0.0 if live else rng.uniform(0, 20) * 86400
        subs = []
        for i in range(listed):
            sub_status, state = pattern[i % len(pattern)]
            setting = f"setting-{i + 1:04d}"
            if state is None:
                reason, message = _SUBMISSION_FAILURES[i % len(_SUBMISSION_FAILURES)]
                subs.append(Submission(setting, sub_status, None, reason, message))
                continue
            n_tasks = 100 if reference else rng.randint(*self.scale.tasks_per_run)
            if not reference and copy == 0 and i == 0 and status in ("PROCESSED", "INPROGRESS"):
                n_tasks = 150 if status == "PROCESSED" else 120  # several pages of tasks
            run = self.run(
                rng,
                state,
                n_tasks=n_tasks,
                age_s=age,
                name=f"{name}-s{i + 1:04d}",
                batch_id=bid,
                setting=setting,
                group=group,
                workflow=workflow,
            )
            subs.append(Submission(setting, sub_status, run))
        created_runs = [s.run.created for s in subs if s.run is not None]
        created = min(created_runs, default=EPOCH - seconds(age + rng.uniform(60, 7200))) - seconds(
            120
        )
        submitted = None
        if status not in ("PENDING", "CREATING", "SUBMITTING", "FAILED"):
            submitted = max(created_runs, default=created) + seconds(30)
        failed = status == "FAILED"
        return BatchPlan(
            id=bid,
            uuid=uuid_from(rng),
            name=name,
            status=status,
            project=project,
            workflow=workflow,
            run_group_id=group,
            cache_id=rng.choice(self.cache_ids),
            created=created,
            submitted=submitted,
            failed_at=created + seconds(90) if failed else None,
            failure_reason="Every run submission failed validation" if failed else None,
            total_runs=total,
            submissions=tuple(subs),
        )


def plan_world(seed: int, scale: Scale) -> World:
    """The whole HealthOmics world for a seed and scale; tasks are planned later, per run."""
    planner = _Planner(seed, scale)
    batches: list[BatchPlan] = []
    for copy in range(scale.archetype_copies):
        for status in ARCHETYPES:
            batches.append(planner.batch(len(batches), status, copy))
    reference_id = None
    if scale.reference:
        ref = planner.batch(len(batches), "PROCESSED", 0, reference=True)
        batches.append(ref)
        reference_id = ref.id
    names = ["NA12878-wgs", "HG002-wes", "HG003-wgs"]
    for i in range(scale.standalone_runs):
        rng = rng_for(seed, "standalone", i)
        state = STANDALONE_STATES[i % len(STANDALONE_STATES)]
        planner.run(
            rng,
            state,
            n_tasks=rng.randint(*scale.tasks_per_run),
            age_s=rng.uniform(0, 10) * 86400,
            name=names[i % len(names)],
            batch_id=None,
            setting=None,
            group=rng.choice([None, *planner.run_groups]),
            workflow=rng.choice(planner.workflows),
        )
    return World(batches, planner.runs, planner.run_groups, reference_id)


def plan_tasks(seed: int, run: RunPlan, task_ids: DigitIds, registry: str) -> list[TaskPlan]:
    """A run's tasks, planned on first use: the reference batch alone holds 10,000 of them."""
    rng = rng_for(seed, "tasks", run.id)
    plans = []
    for i in range(run.n_tasks):
        step = _TASK_STEPS[i % len(_TASK_STEPS)]
        itype, cpus, mem = _INSTANCES[rng.randrange(len(_INSTANCES))]
        if run.workflow.gpu:
            itype, cpus, mem = _GPU_INSTANCE
        created, started, stopped = task_instants(run, i, rng.uniform(0.3, 0.85))
        tag = rng.randrange(1, 9)
        plans.append(
            TaskPlan(
                index=i,
                id=task_ids(run.k * 1000 + i),
                uuid=uuid_from(rng),
                name=f"{step} (shard {i // len(_TASK_STEPS) + 1})",
                created=created,
                started=started,
                stopped=stopped,
                cpus=cpus,
                memory=mem,
                gpus=1 if run.workflow.gpu else 0,
                instance_type=itype,
                cache_hit=rng.random() < 0.2,
                image=f"{registry}/{step.lower()}:1.{tag}",
                image_digest="sha256:" + hex_digest(rng),
                fails=run.fails and i == run.n_tasks - 1,
            )
        )
    return plans
