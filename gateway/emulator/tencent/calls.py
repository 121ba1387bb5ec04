"""Call trees of Tencent Omics runs: workflow templates, their plan in time, and call paths.

GetRunCalls answers one level of a run's call tree for a `Path`. The path syntax is the one
DESIGN fixes: `/` is the top level; `/<CallName>[:<ScatterIndex>]/…` descends into a
sub-workflow call (the scatter index is required for a scattered sub-workflow). Call names never
contain `/` or `:`. A path naming a task (not a sub-workflow) has no calls below it.

A run's tree is planned once, as fractions of the run's planned span; the clock then decides
which calls have been submitted and how far each has got.
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Kind = Literal["Task", "SubWorkflow"]

#: A stage: (call name, kind, scatter width range or None, sub-workflow stages or None).
Stage = tuple[str, Kind, tuple[int, int] | None, "tuple[Stage, ...] | None"]

_JOINT: tuple[Stage, ...] = (
    ("joint_genotyping.genotype_gvcfs", "Task", (2, 3), None),
    ("joint_genotyping.filter_variants", "Task", None, None),
)
_VARIANTS: tuple[Stage, ...] = (
    ("variant_calling.haplotype_caller", "Task", (2, 4), None),
    ("variant_calling.joint_genotyping", "SubWorkflow", None, _JOINT),
)
_ALIGN: tuple[Stage, ...] = (
    ("align.bwa_mem", "Task", None, None),
    ("align.mark_duplicates", "Task", None, None),
)
_PREPROCESS: tuple[Stage, ...] = (
    ("preprocessing.markduplicates", "Task", None, None),
    ("preprocessing.bqsr", "Task", (2, 3), None),
)

#: Workflow templates by name: (engine, stages). `germline` nests sub-workflows two deep.
TEMPLATES: dict[str, tuple[str, tuple[Stage, ...]]] = {
    "germline": (
        "WDL",
        (
            ("germline.fastqc", "Task", (2, 3), None),
            ("germline.align", "SubWorkflow", (2, 3), _ALIGN),
            ("germline.variant_calling", "SubWorkflow", None, _VARIANTS),
            ("germline.report", "Task", None, None),
        ),
    ),
    "rnaseq": (
        "WDL",
        (
            ("rnaseq.trim_galore", "Task", (3, 6), None),
            ("rnaseq.star_align", "Task", (3, 6), None),
            ("rnaseq.salmon_quant", "Task", None, None),
            ("rnaseq.multiqc", "Task", None, None),
        ),
    ),
    "sarek": (
        "NEXTFLOW",
        (
            ("sarek.fastp", "Task", (2, 4), None),
            ("sarek.preprocessing", "SubWorkflow", None, _PREPROCESS),
            ("sarek.deepvariant", "Task", (2, 3), None),
        ),
    ),
}

_COMMANDS = {
    "fastqc": "fastqc -t 4 -o . sample_R1.fq.gz sample_R2.fq.gz",
    "bwa_mem": "bwa mem -t 16 -R '@RG\\tID:s1\\tSM:s1' ref.fa R1.fq.gz R2.fq.gz > aligned.sam",
    "haplotype_caller": "gatk HaplotypeCaller -R ref.fa -I in.bam -O out.g.vcf.gz -ERC GVCF",
}


@dataclass(frozen=True)
class CallPlan:
    """One call in a run's tree, placed in time as fractions [start, end] of the planned span."""

    name: str
    scatter: int | None
    kind: Kind
    start: float
    end: float
    children: tuple[CallPlan, ...] = ()

    @property
    def segment(self) -> str:
        return self.name if self.scatter is None else f"{self.name}:{self.scatter}"


def plan_calls(template: str, rng: random.Random) -> tuple[CallPlan, ...]:
    """Lay a template's stages out one after another in [0, 1], scatter shards in parallel."""
    return _plan(TEMPLATES[template][1], 0.0, 1.0, rng)


def _plan(
    stages: tuple[Stage, ...], lo: float, hi: float, rng: random.Random
) -> tuple[CallPlan, ...]:
    weights = [rng.uniform(0.5, 2.0) for _ in stages]
    total = sum(weights)
    out: list[CallPlan] = []
    cursor = lo
    for (name, kind, width, sub), weight in zip(stages, weights, strict=True):
        span = (hi - lo) * weight / total
        a, b = cursor, cursor + span
        cursor = b
        shards: list[int | None] = (
            [None] if width is None else list(range(rng.randint(width[0], width[1])))
        )
        for shard in shards:
            s = a + span * rng.uniform(0.0, 0.08)
            e = b - span * rng.uniform(0.0, 0.15) if shard is not None else b
            children = _plan(sub, s, e, rng) if sub is not None else ()
            if children:
                e = max(c.end for c in children)
            out.append(CallPlan(name, shard, kind, s, e, children))
    return tuple(out)


# --- paths -------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"^([A-Za-z0-9_.\-]+)(?::(0|[1-9][0-9]{0,5}))?$")


class BadPath(ValueError):
    """The Path parameter does not follow the call-path syntax."""


def parse_path(path: str) -> list[tuple[str, int | None]]:
    """`/` → []; `/a/b:2` → [("a", None), ("b", 2)]. Raises BadPath on anything else."""
    if not path.startswith("/"):
        raise BadPath("Path must start with '/'")
    if path == "/":
        return []
    parts = path[1:].split("/")
    out: list[tuple[str, int | None]] = []
    for part in parts:
        m = _SEGMENT.match(part)
        if m is None:
            raise BadPath(f"malformed path segment {part!r}: expected <CallName>[:<ScatterIndex>]")
        out.append((m.group(1), None if m.group(2) is None else int(m.group(2))))
    return out


def path_of(parents: list[CallPlan], node: CallPlan | None = None) -> str:
    chain = [*parents, node] if node is not None else parents
    return "/" + "/".join(c.segment for c in chain)


# --- evaluation at a clock reading ------------------------------------------------------------


@dataclass(frozen=True)
class CallSpan:
    """How the run's plan maps to real time: `at(f)` is the instant of fraction f; calls planned
    at or after `cut` (the run's end, for a failed/cancelled run) are never submitted."""

    start: datetime
    planned_seconds: float
    cut: float
    outcome: str

    def at(self, fraction: float) -> datetime:
        return self.start + timedelta(seconds=self.planned_seconds * fraction)


@dataclass(frozen=True)
class CallState:
    """A call as seen at one instant: its times ("" not yet) and status."""

    plan: CallPlan
    submit: datetime
    start: datetime | None
    end: datetime | None
    status: str


def visible(plan: CallPlan, span: CallSpan, now: datetime) -> bool:
    return plan.start < span.cut and span.at(plan.start) <= now


def evaluate(plan: CallPlan, span: CallSpan, now: datetime) -> CallState:
    """A call's state at `now`; a sub-workflow's status rolls up from its visible children."""
    submit = span.at(plan.start)
    cut_end = min(plan.end, span.cut)
    end_t = span.at(cut_end)
    queue = timedelta(seconds=min(30.0, (end_t - submit).total_seconds() / 10))
    start_t = submit + queue
    started = start_t if now >= start_t else None
    if now < start_t:
        return CallState(plan, submit, None, None, "PENDING")
    if now < end_t:
        return CallState(plan, submit, started, None, "RUNNING")
    if plan.children:
        kids = [evaluate(c, span, now).status for c in plan.children if visible(c, span, now)]
        status = "FAILED" if "FAILED" in kids else "CANCELED" if "CANCELED" in kids else "SUCCESS"
    else:
        status = "SUCCESS" if plan.end <= span.cut else span.outcome
    return CallState(plan, submit, started, end_t, status)


def stable_uuid(*parts: str) -> str:
    """A UUID derived from text, so sub-workflow ids and job ids are the same on every start."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def command_for(name: str) -> str:
    short = name.rsplit(".", 1)[-1]
    return _COMMANDS.get(short, f"bash -euo pipefail run_{short}.sh")
