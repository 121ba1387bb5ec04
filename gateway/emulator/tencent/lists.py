"""Tencent listings that change on command: DescribeRunGroups and DescribeRuns (offset paged).

`parent` is the project id ("" for the default project) or, for DescribeRuns, a run group id:
a group's runs are the project's runs seen through a RunGroupId filter, so they share a scope.
New items are copies of the listing's current first item under fresh ids, known to lookups.
"""

from __future__ import annotations

from dataclasses import replace

from gateway.emulator.edits import EditError, Scope
from gateway.emulator.tencent.data import ProjectNotFound, TencentData
from gateway.emulator.tencent.model import GroupSpec, RunSpec

LISTINGS = ("DescribeRunGroups", "DescribeRuns")


class TencentLists:
    """The control API's view of the Tencent listings (see gateway/emulator/lists.py)."""

    listings: tuple[str, ...] = LISTINGS

    def __init__(self, data: TencentData) -> None:
        self.data = data

    def _where(self, listing: str, parent: str) -> tuple[str, str | None]:
        """(project id, run group id or None) that `parent` names."""
        d = self.data
        group = d.group_spec(parent) if parent else None
        if group is not None:
            return group.project_id, parent
        try:
            return d.resolve_project(parent or None), None
        except ProjectNotFound:
            raise EditError(f"{listing}: no such project or run group {parent!r}") from None

    def scope(self, listing: str, parent: str) -> Scope:
        return (listing, self._where(listing, parent)[0])

    def ids(self, listing: str, parent: str) -> list[str]:
        project, group = self._where(listing, parent)
        if listing == "DescribeRunGroups":
            return [g.run_group_id for g in self.data.group_specs(project)]
        return [r.uuid for r in self.data.run_specs(project, group)]

    def insert(self, listing: str, parent: str, count: int) -> list[str]:
        project, group = self._where(listing, parent)
        d, edits = self.data, self.data.edits
        if listing == "DescribeRunGroups":
            groups = d.group_specs(project)
            if not groups:
                raise EditError("no run groups to copy new ones from")
            made_groups: list[GroupSpec] = [
                replace(groups[0], run_group_id=edits.fresh_id(groups[0].run_group_id))
                for _ in range(count)
            ]
            for g in made_groups:
                d.add_group(g)
            edits.insert((listing, project), made_groups)
            return [g.run_group_id for g in made_groups]
        runs = d.run_specs(project, group)
        if not runs:
            raise EditError("no runs to copy new ones from")
        made: list[RunSpec] = [
            replace(runs[0], uuid=edits.fresh_id(runs[0].uuid)) for _ in range(count)
        ]
        for r in made:
            d.add_run(r)
        edits.insert((listing, project), made)
        return [r.uuid for r in made]

    def delete(self, listing: str, parent: str, ids: list[str]) -> None:
        self.data.edits.delete(self.scope(listing, parent), ids)
