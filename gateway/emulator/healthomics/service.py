"""HealthOmics operations (botocore service `omics`) answered from `HealthOmicsData`.

Requests arrive parsed and validated against the model (see awsproto); handlers add what the
model cannot say: lookups, filter rules, paging. Outside us-east-1 the world is empty: Get*
answers ResourceNotFoundException and listings are empty, as an unused region would.
ListBatch and ListRuns list newest first; their filters combine (AND) and `name` matches exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.emulator.aws.protocol import AwsCall, Handler, Pager, not_found, validation_error
from gateway.emulator.healthomics.data import HealthOmicsData

SERVICE = "omics"
DEFAULT_PAGE = 100


class HealthOmicsService:
    """The seven read operations the gateway uses, keyed by botocore operation name."""

    def __init__(self, data: HealthOmicsData, pager: Pager) -> None:
        self.data = data
        self.pager = pager
        self.operations: dict[str, Handler] = {
            "GetBatch": self.get_batch,
            "ListBatch": self.list_batch,
            "ListRunsInBatch": self.list_runs_in_batch,
            "GetRun": self.get_run,
            "ListRuns": self.list_runs,
            "ListRunTasks": self.list_run_tasks,
            "GetRunTask": self.get_run_task,
        }

    def _here(self, call: AwsCall) -> bool:
        return call.region == self.data.region

    def _page(
        self,
        call: AwsCall,
        items: Sequence[dict[str, Any]],
        filters: dict[str, Any],
        limit_key: str,
    ) -> tuple[list[dict[str, Any]], str | None]:
        return self.pager.page(
            items,
            operation=call.operation,
            filters={"region": call.region, **filters},
            token=call.params.get("startingToken"),
            token_param="startingToken",
            limit=call.params.get(limit_key, DEFAULT_PAGE),
        )

    def _run(self, call: AwsCall, run_id: str) -> dict[str, Any]:
        try:
            if not self._here(call):
                raise KeyError(run_id)
            return self.data.run(run_id)
        except KeyError:
            raise not_found(f"Run {run_id} not found") from None

    async def get_batch(self, call: AwsCall) -> dict[str, Any]:
        batch_id = call.params["batchId"]
        try:
            if not self._here(call):
                raise KeyError(batch_id)
            return self.data.batch(batch_id)
        except KeyError:
            raise not_found(f"Run batch {batch_id} not found") from None

    async def list_batch(self, call: AwsCall) -> dict[str, Any]:
        p = call.params
        filters = {
            "status": p.get("status"),
            "name": p.get("name"),
            "runGroupId": p.get("runGroupId"),
        }
        items = (
            self.data.batches(
                status=p.get("status"), name=p.get("name"), run_group_id=p.get("runGroupId")
            )
            if self._here(call)
            else []
        )
        page, token = self._page(call, items, filters, "maxItems")
        return {"items": page, "nextToken": token}

    async def list_runs_in_batch(self, call: AwsCall) -> dict[str, Any]:
        p = call.params
        batch_id = p["batchId"]
        chosen: dict[str, Any] = {
            k: p[k] for k in ("submissionStatus", "runSettingId", "runId") if k in p
        }
        if len(chosen) > 1:
            raise validation_error(
                f"Only one filter per call is supported; got {', '.join(sorted(chosen))}"
            )
        try:
            if not self._here(call):
                raise KeyError(batch_id)
            items = self.data.runs_in_batch(batch_id)
        except KeyError:
            raise not_found(f"Run batch {batch_id} not found") from None
        items = [i for i in items if all(i.get(k) == v for k, v in chosen.items())]
        page, token = self._page(call, items, {"batchId": batch_id, **chosen}, "maxItems")
        return {"runs": page, "nextToken": token}

    async def get_run(self, call: AwsCall) -> dict[str, Any]:
        return self._run(call, call.params["id"])

    async def list_runs(self, call: AwsCall) -> dict[str, Any]:
        p = call.params
        keys = ("batchId", "runGroupId", "status", "name")
        filters = {k: p.get(k) for k in keys}
        items = (
            self.data.runs_view(
                batch_id=p.get("batchId"),
                status=p.get("status"),
                name=p.get("name"),
                run_group_id=p.get("runGroupId"),
            )
            if self._here(call)
            else []
        )
        page, token = self._page(call, items, filters, "maxResults")
        return {"items": page, "nextToken": token}

    def _live_run(self, call: AwsCall) -> str:
        run_id: str = call.params["id"]
        if self._run(call, run_id)["status"] == "DELETED":
            raise not_found(f"Run {run_id} not found: it has been deleted")
        return run_id

    async def list_run_tasks(self, call: AwsCall) -> dict[str, Any]:
        run_id = self._live_run(call)
        status = call.params.get("status")
        items = self.data.tasks(run_id, status=status)
        page, token = self._page(call, items, {"id": run_id, "status": status}, "maxResults")
        return {"items": page, "nextToken": token}

    async def get_run_task(self, call: AwsCall) -> dict[str, Any]:
        run_id = self._live_run(call)
        task_id = call.params["taskId"]
        try:
            return self.data.task(run_id, task_id)
        except KeyError:
            raise not_found(f"Task {task_id} not found in run {run_id}") from None
