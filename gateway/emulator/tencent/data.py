"""Ground truth for the Tencent Cloud Omics emulator, deterministic from a seed.

The service answers from this object, and tests compare what clients saw against it, so its
public methods return exactly the wire dicts the API would send at the current simulated time.
Data lives in region ap-guangzhou: the default project (used when ProjectId is absent) and others.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime
from typing import Any

from gateway.emulator.clock import SimClock
from gateway.emulator.edits import ListEdits
from gateway.emulator.tencent.calls import (
    BadPath,
    CallPlan,
    CallSpan,
    evaluate,
    parse_path,
    path_of,
    plan_calls,
    stable_uuid,
    visible,
)
from gateway.emulator.tencent.generate import generate
from gateway.emulator.tencent.model import GroupSpec, ProjectSpec, RunSpec
from gateway.emulator.tencent.render import (
    REGION,
    call_metadata,
    render_group,
    render_run,
    run_metadata,
)

__all__ = ["REGION", "BadPath", "CallNotFound", "ProjectNotFound", "RunNotFound", "TencentData"]


class RunNotFound(LookupError):
    """No such run (in that project)."""


class ProjectNotFound(LookupError):
    """No such project in the region."""


class CallNotFound(LookupError):
    """The Path names no call (yet) of that run, or names a task where a sub-workflow is needed."""


class _Tree:
    def __init__(self, plans: tuple[CallPlan, ...], span: CallSpan, failed_path: str) -> None:
        self.plans = plans
        self.span = span
        self.failed_path = failed_path


class TencentData:
    """Projects, run groups, runs and call trees; evaluated at `clock.now()` on every read.

    Ordering (the API's): run groups and runs are newest first by CreateTime, then by id.
    """

    def __init__(self, seed: int, scale: str, clock: SimClock) -> None:
        self.seed = seed
        self.scale = scale
        self.clock = clock
        projects, runs = generate(seed, scale)
        self._projects: dict[str, ProjectSpec] = {p.project_id: p for p in projects}
        self.default_project: str = projects[0].project_id
        self._groups: dict[str, GroupSpec] = {g.run_group_id: g for p in projects for g in p.groups}
        order = sorted(runs, key=lambda r: (-r.timeline.submit.timestamp(), r.uuid))
        self._runs: dict[str, RunSpec] = {r.uuid: r for r in order}
        self._by_project: dict[str, list[RunSpec]] = {pid: [] for pid in self._projects}
        self._by_group: dict[str, list[RunSpec]] = {gid: [] for gid in self._groups}
        for r in order:
            self._by_project[r.project_id].append(r)
            self._by_group[r.run_group_id].append(r)
        self._trees: dict[str, _Tree] = {}
        self._lock = threading.Lock()
        #: Insertions and deletions made through the control API (gateway/emulator/edits.py).
        self.edits: ListEdits[Any] = ListEdits(seed)

    # --- summary and lookup ------------------------------------------------------------------

    def dataset_summary(self) -> dict[str, Any]:
        """What GET /_emulator/dataset shows under "tencent": region → projects → run groups."""
        projects = {
            pid: {"runGroups": [g.run_group_id for g in self.group_specs(pid)]}
            for pid in self._projects
        }
        return {REGION: {"projects": projects, "defaultProject": self.default_project}}

    def projects(self) -> list[str]:
        """Project ids in the region, the default one first."""
        return list(self._projects)

    def project_name(self, project_id: str) -> str:
        return self._project(project_id).name

    def resolve_project(self, project_id: str | None) -> str:
        """The project a request addresses: the default one when ProjectId is absent or empty."""
        if not project_id:
            return self.default_project
        self._project(project_id)
        return project_id

    def _project(self, project_id: str) -> ProjectSpec:
        try:
            return self._projects[project_id]
        except KeyError:
            raise ProjectNotFound(project_id) from None

    def group_specs(self, project_id: str | None = None) -> list[GroupSpec]:
        """A project's run groups in DescribeRunGroups order (newest first)."""
        pid = self.resolve_project(project_id)
        groups = sorted(
            self._project(pid).groups, key=lambda g: (-g.create_time.timestamp(), g.run_group_id)
        )
        return list(self.edits.view(("DescribeRunGroups", pid), groups, _group_id))

    def run_specs(
        self, project_id: str | None = None, run_group_id: str | None = None
    ) -> list[RunSpec]:
        """A project's (or one group's) runs in DescribeRuns order."""
        pid = self.resolve_project(project_id)
        listed = list(self.edits.view(("DescribeRuns", pid), self._by_project[pid], _run_uuid))
        if run_group_id is not None:
            group = self._groups.get(run_group_id)
            if group is None or group.project_id != pid:
                return []
            return [r for r in listed if r.run_group_id == run_group_id]
        return listed

    def add_run(self, run: RunSpec) -> None:
        """Make a run inserted through the control API known to lookups by RunUuid."""
        self._runs[run.uuid] = run

    def group_spec(self, run_group_id: str) -> GroupSpec | None:
        return self._groups.get(run_group_id)

    def add_group(self, group: GroupSpec) -> None:
        """Make a run group inserted through the control API known to lookups."""
        self._groups[group.run_group_id] = group

    def find_run(self, run_uuid: str, project_id: str | None = None) -> RunSpec:
        """The run, if it exists in the addressed project; else RunNotFound."""
        pid = self.resolve_project(project_id)
        run = self._runs.get(run_uuid)
        if run is None or run.project_id != pid:
            raise RunNotFound(run_uuid)
        return run

    # --- wire shapes at the current time --------------------------------------------------------

    def render_run(self, run: RunSpec, now: datetime | None = None) -> dict[str, Any]:
        now = now or self.clock.now()
        return render_run(run, self._groups[run.run_group_id], now, self._failed_path(run))

    def render_group(self, group: GroupSpec, now: datetime | None = None) -> dict[str, Any]:
        now = now or self.clock.now()
        name = self._projects[group.project_id].name
        return render_group(group, name, self._by_group.get(group.run_group_id, []), now)

    def run_groups(self, project_id: str | None = None) -> list[dict[str, Any]]:
        """Every RunGroup of a project (default: the default project), in API order."""
        now = self.clock.now()
        return [self.render_group(g, now) for g in self.group_specs(project_id)]

    def runs(
        self,
        project_id: str | None = None,
        run_group_id: str | None = None,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every Run of a project, optionally one group's / one status, in DescribeRuns order."""
        now = self.clock.now()
        specs = self.run_specs(project_id, run_group_id)
        if status is not None:
            specs = [r for r in specs if r.timeline.status(now) == status]
        return [self.render_run(r, now) for r in specs]

    def run(self, run_uuid: str, project_id: str | None = None) -> dict[str, Any]:
        """One Run as DescribeRuns shows it (RunNotFound if absent from the project)."""
        return self.render_run(self.find_run(run_uuid, project_id))

    def run_status(self, run_uuid: str, project_id: str | None = None) -> dict[str, Any]:
        """GetRunStatus's Metadata for the run."""
        run = self.find_run(run_uuid, project_id)
        group = self._groups[run.run_group_id]
        return run_metadata(run, group, self.clock.now(), self._failed_path(run))

    def calls(
        self, run_uuid: str, path: str = "/", project_id: str | None = None
    ) -> list[dict[str, Any]]:
        """GetRunCalls: one level of calls at `path` (`/`, `/<CallName>[:<ScatterIndex>]/…`).

        Raises BadPath (malformed, or a scattered call named without its index), RunNotFound,
        or CallNotFound (no such call submitted yet). A task's path has no calls below it: [].
        """
        segments = parse_path(path)
        run = self.find_run(run_uuid, project_id)
        now = self.clock.now()
        group = self._groups[run.run_group_id]
        if run.timeline.started(now) is None:
            if segments:
                raise CallNotFound(path)
            return []
        tree = self._tree(run)
        level, parent_id, chain = tree.plans, run.uuid, list[CallPlan]()
        for i, (name, index) in enumerate(segments):
            matches = [c for c in level if c.name == name and visible(c, tree.span, now)]
            if matches and index is None and matches[0].scatter is not None:
                raise BadPath(f"call {name} is scattered: name a shard as {name}:<ScatterIndex>")
            node = next((c for c in matches if c.scatter == index), None)
            if node is None:
                raise CallNotFound(path)
            chain.append(node)
            if node.kind == "Task":
                if i == len(segments) - 1:
                    return []
                raise CallNotFound(path)
            parent_id = stable_uuid(run.uuid, path_of(chain))
            level = node.children
        return [
            call_metadata(run, group, evaluate(c, tree.span, now), parent_id, path_of(chain, c))
            for c in level
            if visible(c, tree.span, now)
        ]

    # --- call trees --------------------------------------------------------------------------

    def _failed_path(self, run: RunSpec) -> str:
        if run.timeline.outcome == "SUCCESS" or run.timeline.never_starts:
            return ""
        return self._tree(run).failed_path

    def _tree(self, run: RunSpec) -> _Tree:
        with self._lock:
            tree = self._trees.get(run.uuid)
        if tree is not None:
            return tree
        tree = _build_tree(run)
        with self._lock:
            self._trees[run.uuid] = tree
        return tree


def _group_id(group: GroupSpec) -> str:
    return group.run_group_id


def _run_uuid(run: RunSpec) -> str:
    return run.uuid


def _leaves(plans: tuple[CallPlan, ...], parents: list[CallPlan]) -> list[tuple[str, CallPlan]]:
    out: list[tuple[str, CallPlan]] = []
    for c in plans:
        if c.children:
            out.extend(_leaves(c.children, [*parents, c]))
        else:
            out.append((path_of(parents, c), c))
    return out


def _build_tree(run: RunSpec) -> _Tree:
    """Plan the call tree and place the failure/cancel point inside one task (from cut_pick)."""
    tl = run.timeline
    plans = plan_calls(run.template, random.Random(run.call_seed))
    cut, failed = 1.0, ""
    if tl.outcome != "SUCCESS":
        leaves = sorted(_leaves(plans, []), key=lambda pc: pc[1].start)
        scaled = run.cut_pick * len(leaves)
        failed, leaf = leaves[int(scaled)]
        cut = leaf.start + (leaf.end - leaf.start) * (0.3 + 0.6 * (scaled % 1.0))
    seconds = max(1.0, (tl.end - tl.start).total_seconds()) / cut
    return _Tree(plans, CallSpan(tl.start, seconds, cut, tl.outcome), failed)
