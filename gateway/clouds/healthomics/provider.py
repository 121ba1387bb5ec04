"""AWS HealthOmics: batches, runs and tasks over aiobotocore's `omics` client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.clouds.aws.wire import AwsProvider, validate
from gateway.clouds.healthomics.states import KIND
from gateway.errors import bad_input
from gateway.types import Listing, Page, PageRef, Record

SERVICE = "omics"


@dataclass(frozen=True)
class _ListingSpec:
    method: str
    items_key: str
    size_param: str


_LISTINGS = {
    "ListBatch": _ListingSpec("list_batch", "items", "maxItems"),
    "ListRunsInBatch": _ListingSpec("list_runs_in_batch", "runs", "maxItems"),
    "ListRuns": _ListingSpec("list_runs", "items", "maxResults"),
    "ListRunTasks": _ListingSpec("list_run_tasks", "items", "maxResults"),
}


def _strip(response: dict[str, Any]) -> dict[str, Any]:
    response.pop("ResponseMetadata", None)
    return response


class HealthOmicsProvider(AwsProvider):
    """One HealthOmics account + region. Returns botocore's parsed records unchanged."""

    kind = KIND
    service = SERVICE

    # -- listings -----------------------------------------------------------------------------

    def batches(self, status: str | None, name: str | None, run_group_id: str | None) -> Listing:
        params = {"status": status, "name": name, "runGroupId": run_group_id}
        return self._listing("ListBatch", params, parent="")

    def runs_in_batch(
        self,
        batch_id: str,
        submission_status: str | None = None,
        run_setting_id: str | None = None,
        run_id: str | None = None,
    ) -> Listing:
        given = [v for v in (submission_status, run_setting_id, run_id) if v is not None]
        if len(given) > 1:
            raise bad_input(
                "HealthOmics lists a batch's runs by one filter at a time: give at most one of "
                "submissionStatus, runSettingId, runId"
            )
        params = {
            "batchId": batch_id,
            "submissionStatus": submission_status,
            "runSettingId": run_setting_id,
            "runId": run_id,
        }
        return self._listing("ListRunsInBatch", params, parent=batch_id)

    def runs(
        self,
        batch_id: str | None = None,
        run_group_id: str | None = None,
        status: str | None = None,
        name: str | None = None,
    ) -> Listing:
        params = {"batchId": batch_id, "runGroupId": run_group_id, "status": status, "name": name}
        return self._listing("ListRuns", params, parent="")

    def tasks(self, run_id: str, status: str | None = None) -> Listing:
        return self._listing("ListRunTasks", {"id": run_id, "status": status}, parent=run_id)

    def _listing(self, operation: str, params: dict[str, Any], parent: str) -> Listing:
        kept = {k: v for k, v in params.items() if v is not None}
        validate(SERVICE, operation, kept)
        return Listing(operation, tuple(sorted(kept.items())), parent=parent, max_page=100)

    def item_key(self, listing: Listing, item: Record) -> str:
        if listing.operation == "ListRunsInBatch":
            run_id = item.get("runId")
            return f"run:{run_id}" if run_id else f"setting:{item.get('runSettingId')}"
        if listing.operation == "ListRunTasks":
            return str(item["taskId"])
        return str(item["id"])

    async def fetch_page(self, listing: Listing, ref: PageRef, size: int) -> Page:
        spec = _LISTINGS[listing.operation]
        kwargs: dict[str, Any] = dict(listing.params)
        kwargs[spec.size_param] = size
        if ref is not None:
            kwargs["startingToken"] = ref

        async def invoke(client: Any) -> dict[str, Any]:
            result: dict[str, Any] = await getattr(client, spec.method)(**kwargs)
            return result

        response = await self.wire.call(listing.operation, invoke, paging=ref is not None)
        return Page(response.get(spec.items_key, []), response.get("nextToken"))

    # -- entities -----------------------------------------------------------------------------

    async def get_batch(self, batch_id: str) -> Record:
        validate(SERVICE, "GetBatch", {"batchId": batch_id})
        return await self._get("GetBatch", "get_batch", batchId=batch_id)

    async def get_run(self, run_id: str) -> Record:
        validate(SERVICE, "GetRun", {"id": run_id})
        return await self._get("GetRun", "get_run", id=run_id)

    async def get_run_task(self, run_id: str, task_id: str) -> Record:
        validate(SERVICE, "GetRunTask", {"id": run_id, "taskId": task_id})
        return await self._get("GetRunTask", "get_run_task", id=run_id, taskId=task_id)

    async def _get(self, operation: str, method: str, **kwargs: Any) -> Record:
        async def invoke(client: Any) -> dict[str, Any]:
            return _strip(await getattr(client, method)(**kwargs))

        return await self.wire.call(operation, invoke)


def validate_run_id(run_id: str) -> None:
    """Raise BAD_USER_INPUT unless `run_id` is a HealthOmics run id (no upstream call)."""
    validate(SERVICE, "GetRun", {"id": run_id})


def validate_batch_id(batch_id: str) -> None:
    validate(SERVICE, "GetBatch", {"batchId": batch_id})
