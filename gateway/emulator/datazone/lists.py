"""DataZone's ListJobRuns, changed on command; `parent` is "<domainId>/<jobId>".

New runs are copies of the job's newest run under fresh ids, at the head of the newest-first
order (the tail when a client asks ASCENDING).
"""

from __future__ import annotations

from gateway.emulator.datazone.data import DataZoneData
from gateway.emulator.edits import EditError, Scope

LISTINGS = ("ListJobRuns",)


class DataZoneLists:
    """The control API's view of the DataZone listing (see gateway/emulator/lists.py)."""

    listings: tuple[str, ...] = LISTINGS

    def __init__(self, data: DataZoneData) -> None:
        self.data = data

    def scope(self, listing: str, parent: str) -> Scope:
        return (listing, parent)

    def _job(self, parent: str) -> tuple[str, str]:
        domain, _, job = parent.partition("/")
        if domain not in self.data.domains() or job not in self.data.jobs(domain):
            raise EditError(f"ListJobRuns: no such job {parent!r} (give <domainId>/<jobId>)")
        return domain, job

    def ids(self, listing: str, parent: str) -> list[str]:
        return [str(r["runId"]) for r in self.data.job_runs(*self._job(parent))]

    def insert(self, listing: str, parent: str, count: int) -> list[str]:
        runs = self.data.job_runs(*self._job(parent))
        if not runs:
            raise EditError("the job has no runs to copy new ones from")
        fresh = self.data.edits.fresh_id
        made = [{**runs[0], "runId": fresh(str(runs[0]["runId"]))} for _ in range(count)]
        self.data.edits.insert(self.scope(listing, parent), made)
        return [str(r["runId"]) for r in made]

    def delete(self, listing: str, parent: str, ids: list[str]) -> None:
        self._job(parent)
        self.data.edits.delete(self.scope(listing, parent), ids)
