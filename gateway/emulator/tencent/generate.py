"""Deterministic generation of Tencent Omics projects, run groups and runs from a seed.

Only fixed attributes and timelines are made here (cheap: no call trees), so even `large`
generates quickly; call trees are planned lazily per run. Every run's future is decided up front
relative to the clock's EPOCH, so the same seed gives the same data at any clock reading.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from gateway.emulator.clock import EPOCH
from gateway.emulator.tencent.calls import TEMPLATES
from gateway.emulator.tencent.model import GroupSpec, ProjectSpec, RunSpec, Timeline

#: Runs per group, per project (the first project is the region's default). `small` still has a
#: group of more than 100 runs, so Limit paging is always exercised; empty groups exist too.
SCALES: dict[str, tuple[tuple[int, ...], ...]] = {
    "small": ((130, 24, 11, 3), (15, 6), (0,)),
    "demo": ((240, 120, 60, 35, 12, 5, 1), (80, 30, 9), (0, 4)),
    "large": ((2500, 1200, 600, 300, 100, 40, 7), (900, 300, 50), (0, 25)),
}

#: Run fates and their weights; the first group forces one of each so every status appears.
_CATEGORIES = ("success", "failed", "canceled", "canceled_pending", "running", "pending", "init")
_WEIGHTS = (55, 13, 5, 3, 14, 5, 5)

_ADJ = ("peaceful", "brave", "quiet", "swift", "gentle", "bright")
_COLOUR = ("pink", "teal", "amber", "jade", "ivory", "coral")
_ANIMAL = ("bird", "otter", "lynx", "heron", "panda", "crane")
_PEOPLE = (("zhang.wei", "100023456781"), ("li.na", "100023456782"), ("chen.jie", "100023456783"))


def _rid(rng: random.Random, prefix: str, n: int = 8) -> str:
    return prefix + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


def _secs(rng: random.Random, lo: float, hi: float) -> timedelta:
    return timedelta(seconds=rng.randint(int(lo), int(hi)))


def _timeline(rng: random.Random, category: str) -> Timeline:
    """A run's whole life relative to EPOCH: live categories straddle it, settled ones precede."""
    hour, day = 3600, 86400
    live_outcome = rng.choices(("SUCCESS", "FAILED", "CANCELED"), (75, 15, 10))[0]
    if category == "init":
        submit = EPOCH - _secs(rng, 5, 240)
        pending_at = EPOCH + _secs(rng, 30, 600)
        start = pending_at + _secs(rng, 60, 900)
        return Timeline(submit, pending_at, start, start + _secs(rng, 1800, 4 * hour), live_outcome)
    if category == "pending":
        submit = EPOCH - _secs(rng, 600, 3 * hour)
        start = EPOCH + _secs(rng, 60, 1800)
        end = start + _secs(rng, 1800, 4 * hour)
        return Timeline(submit, submit + _secs(rng, 10, 120), start, end, live_outcome)
    if category == "running":
        submit = EPOCH - _secs(rng, 1800, 8 * hour)
        pending_at = submit + _secs(rng, 10, 120)
        start = pending_at + _secs(rng, 60, 900)
        return Timeline(submit, pending_at, start, EPOCH + _secs(rng, 600, 4 * hour), live_outcome)
    end = EPOCH - _secs(rng, hour, 60 * day)
    if category == "canceled_pending":
        pending_at = end - _secs(rng, 60, hour)
        return Timeline(pending_at - _secs(rng, 10, 120), pending_at, end, end, "CANCELED")
    start = end - _secs(rng, 1800, 12 * hour)
    pending_at = start - _secs(rng, 60, 1800)
    outcome = {"success": "SUCCESS", "failed": "FAILED", "canceled": "CANCELED"}[category]
    return Timeline(pending_at - _secs(rng, 10, 120), pending_at, start, end, outcome)


def _group(
    rng: random.Random, project_id: str, index: int, template: str, tabled: bool
) -> GroupSpec:
    engine = TEMPLATES[template][0]
    creator, creator_id = rng.choice(_PEOPLE)
    return GroupSpec(
        run_group_id=_rid(rng, "rg-"),
        project_id=project_id,
        name=f"{template}-batch-{index + 1:02d}",
        template=template,
        engine=engine,
        application_id=_rid(rng, "app-"),
        application_name={
            "germline": "GATK germline",
            "rnaseq": "RNA-seq",
            "sarek": "nf-core/sarek",
        }[template],
        version_id=_rid(rng, "appver-"),
        version_name=f"v{rng.randint(1, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
        access_mode=rng.choice(("PRIVATE", "PUBLIC")),
        environment_id=_rid(rng, "env-"),
        environment_name=rng.choice(("default-hpc", "gpu-pool", "spot-batch")),
        table_id=_rid(rng, "tbl-") if tabled else "",
        input_type="COS" if tabled else rng.choice(("JSON", "MANUAL")),
        input_template_id=_rid(rng, "it-") if not tabled else "",
        volume_id=_rid(rng, "vol-"),
        create_time=EPOCH,  # replaced once its runs are known
        creator=creator,
        creator_id=creator_id,
        bucket=f"omics-{rng.randint(1250000000, 1259999999)}",
        failure_mode=rng.choice(("ContinueWhilePossible", "NoNewCalls")),
        use_call_cache=rng.random() < 0.5,
        timeout_minutes=rng.choice((720, 1440, 2880)),
    )


def generate(seed: int, scale: str) -> tuple[list[ProjectSpec], list[RunSpec]]:
    """Projects (default first) with their groups, and every run, from the seed alone."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {sorted(SCALES)}")
    rng = random.Random(f"tencent:{seed}:{scale}")
    templates = list(TEMPLATES)
    projects: list[ProjectSpec] = []
    runs: list[RunSpec] = []
    for p, sizes in enumerate(SCALES[scale]):
        number = rng.randint(100000, 999999)
        pid = f"prj-{rng.choice(_ADJ)}-{rng.choice(_COLOUR)}-{rng.choice(_ANIMAL)}-{number}"
        groups: list[GroupSpec] = []
        for g, size in enumerate(sizes):
            template = templates[(p + g) % len(templates)]
            spec = _group(rng, pid, g, template, tabled=g % 2 == 0)
            group_runs = [
                _run(rng, spec, i, forced=_CATEGORIES[i] if p == g == 0 and i < 7 else None)
                for i in range(size)
            ]
            first = min((r.timeline.submit for r in group_runs), default=EPOCH - timedelta(days=2))
            groups.append(_with_create_time(spec, first - _secs(rng, 30, 600)))
            runs.extend(group_runs)
        projects.append(ProjectSpec(pid, f"project-{p + 1}-{rng.choice(_ANIMAL)}", tuple(groups)))
    return projects, runs


def _with_create_time(spec: GroupSpec, when: datetime) -> GroupSpec:
    return replace(spec, create_time=when)


def _run(rng: random.Random, group: GroupSpec, index: int, forced: str | None) -> RunSpec:
    category = forced or rng.choices(_CATEGORIES, _WEIGHTS)[0]
    timeline = _timeline(rng, category)
    tabled = bool(group.table_id)
    return RunSpec(
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        project_id=group.project_id,
        run_group_id=group.run_group_id,
        timeline=timeline,
        template=group.template,
        call_seed=rng.getrandbits(32),
        cut_pick=rng.random(),
        user_defined_id=f"sample-{index + 1:04d}" if tabled else "",
        table_row_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)) if tabled else "",
        sample=f"S{rng.randint(1, 9999):04d}",
    )
