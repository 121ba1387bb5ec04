"""AWS HealthOmics: batches, runs and tasks over aiobotocore's `omics` client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.clouds import answers
from gateway.clouds.aws.wire import AwsProvider, validate
from gateway.clouds.healthomics.logs import WorkflowLogs
from gateway.clouds.healthomics.pricing import PriceList
from gateway.clouds.healthomics.states import KIND
from gateway.config import PricingConfig
from gateway.errors import bad_input
from gateway.guards import SourceGuard
from gateway.types import Listing, Page, PageRef, Record

SERVICE = "omics"


@dataclass(frozen=True)
class _ListingSpec:
    method: str
    items_key: str
    size_param: str
    #: The item's identity field(s): an item without one is a malformed answer.
    identity: tuple[str, ...]


_LISTINGS = {
    "ListBatch": _ListingSpec("list_batch", "items", "maxItems", ("id",)),
    # A failed submission has a runSettingId and no runId.
    "ListRunsInBatch": _ListingSpec(
        "list_runs_in_batch", "runs", "maxItems", ("runId", "runSettingId")
    ),
    "ListRuns": _ListingSpec("list_runs", "items", "maxResults", ("id",)),
    "ListRunTasks": _ListingSpec("list_run_tasks", "items", "maxResults", ("taskId",)),
}
#: The identity field of each record read by id.
_RECORD_IDENTITY = {"GetBatch": "id", "GetRun": "id", "GetRunTask": "taskId"}


def _strip(response: dict[str, Any]) -> dict[str, Any]:
    response.pop("ResponseMetadata", None)
    return response


class HealthOmicsProvider(AwsProvider):
    """One HealthOmics account + region. Returns botocore's parsed records unchanged."""

    kind = KIND
    service = SERVICE

    _logs: WorkflowLogs | None = None
    _prices: PriceList | None = None

    # -- the same account's logs and prices (CloudWatch Logs, Price List API) ---------------

    @property
    def logs(self) -> WorkflowLogs:
        """The source's `/aws/omics/WorkflowLog` group, over its own client and breaker (a
        CloudWatch outage must not stop run reads), pacing through the account's limiter."""
        if self._logs is None:
            guard = SourceGuard(self.config, self.limits, self.wire.guard.limiter, kind=KIND)
            self._logs = WorkflowLogs(self.config, self.limits, self.gate, guard)
        return self._logs

    def prices(self, pricing: PricingConfig) -> PriceList:
        """Prices as `[pricing]` says, read with this source's credentials."""
        if self._prices is None:
            guard = SourceGuard(self.config, self.limits, self.wire.guard.limiter, kind=KIND)
            self._prices = PriceList(self.config, self.limits, self.gate, pricing, guard)
        return self._prices

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

        op = listing.operation
        response = await self.wire.call(op, invoke, paging=ref is not None)
        check = answers.Check(self.name, self.kind, op)
        found = check.items(response, spec.items_key, spec.identity)
        return Page(found, check.token(response, "nextToken"))

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

        answer = await self.wire.call(operation, invoke)
        check = answers.Check(self.name, self.kind, operation)
        return check.record(answer, (_RECORD_IDENTITY[operation],))

    async def aclose(self) -> None:
        await self.wire.aclose()
        for extra in (self._logs, self._prices):
            if extra is not None:
                await extra.aclose()


def validate_run_id(run_id: str) -> None:
    """Raise BAD_USER_INPUT unless `run_id` is a HealthOmics run id (no upstream call)."""
    validate(SERVICE, "GetRun", {"id": run_id})


def validate_batch_id(batch_id: str) -> None:
    validate(SERVICE, "GetBatch", {"batchId": batch_id})
