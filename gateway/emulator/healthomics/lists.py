"""HealthOmics listings that change on command: ListBatch, ListRunsInBatch, ListRuns, ListRunTasks.

New items are copies of the listing's current first item under fresh ids of the same shape, put
at the head (newest first, as ListBatch and ListRuns order); a run inserted into ListRuns is also
known to GetRun, other inserted items live in their listing only. Deletions hide items from the
listing (a Get* of them still answers).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gateway.emulator.edits import EditError, Scope
from gateway.emulator.healthomics.data import HealthOmicsData

LISTINGS = ("ListBatch", "ListRunsInBatch", "ListRuns", "ListRunTasks")


class HealthOmicsLists:
    """The control API's view of the HealthOmics listings (see gateway/emulator/lists.py)."""

    listings: tuple[str, ...] = LISTINGS

    def __init__(self, data: HealthOmicsData) -> None:
        self.data = data

    def scope(self, listing: str, parent: str) -> Scope:
        # ListRuns filtered by batch is one list seen through a filter: one scope for all.
        return (listing, "") if listing in ("ListBatch", "ListRuns") else (listing, parent)

    def ids(self, listing: str, parent: str) -> list[str]:
        d = self.data
        try:
            if listing == "ListBatch":
                return [str(b["id"]) for b in d.batches()]
            if listing == "ListRunsInBatch":
                return [str(s["runSettingId"]) for s in d.runs_in_batch(parent)]
            if listing == "ListRuns":
                return [str(r["id"]) for r in d.runs(batch_id=parent or None)]
            return [str(t["taskId"]) for t in d.tasks(parent)]
        except KeyError:
            raise EditError(f"{listing}: no such parent {parent!r}") from None

    def insert(self, listing: str, parent: str, count: int) -> list[str]:
        first = self.ids(listing, parent)
        if not first:
            raise EditError(f"{listing} is empty: nothing to copy new items from")
        d, edits, scope = self.data, self.data.edits, self.scope(listing, parent)
        made: list[Any] = []
        if listing == "ListBatch":
            plans = [*edits.inserted(scope), *d._batches.values()]
            batch = next(p for p in plans if p.id == first[0])
            made = [replace(batch, id=edits.fresh_id(batch.id)) for _ in range(count)]
            ids = [p.id for p in made]
        elif listing == "ListRuns":
            run = d.run_plan(first[0])
            made = [
                replace(run, id=edits.fresh_id(run.id), uuid=edits.fresh_id(run.uuid))
                for _ in range(count)
            ]
            for plan in made:
                d.add_run(plan)
            ids = [p.id for p in made]
        elif listing == "ListRunsInBatch":
            made = [self._submission(d.runs_in_batch(parent)[0]) for _ in range(count)]
            ids = [str(s["runSettingId"]) for s in made]
        else:
            task = d.tasks(parent)[0]
            made = [{**task, "taskId": edits.fresh_id(str(task["taskId"]))} for _ in range(count)]
            ids = [str(t["taskId"]) for t in made]
        edits.insert(scope, made)
        return ids

    def _submission(self, like: dict[str, Any]) -> dict[str, Any]:
        fresh = self.data.edits.fresh_id
        item = {**like, "runSettingId": fresh(str(like["runSettingId"]))}
        if like.get("runId"):
            run_id = fresh(str(like["runId"]))
            item["runId"] = run_id
            item["runArn"] = str(like["runArn"]).rsplit("/", 1)[0] + "/" + run_id
            item["runInternalUuid"] = fresh(str(like["runInternalUuid"]))
        return item

    def delete(self, listing: str, parent: str, ids: list[str]) -> None:
        self.data.edits.delete(self.scope(listing, parent), ids)
