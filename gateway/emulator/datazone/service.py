"""DataZone job-run operations (botocore service `datazone`) answered from `DataZoneData`.

DataZone tokens may run to 8192 chars; the emulator hands out 1000–3000-char ones so a gateway
that puts upstream tokens straight into its cursors breaks here, not in production.
"""

from __future__ import annotations

from typing import Any

from gateway.emulator.aws.protocol import AwsCall, Handler, Pager, not_found
from gateway.emulator.datazone.data import DataZoneData

SERVICE = "datazone"
DEFAULT_PAGE = 50


def token_length(offset: int) -> int:
    """How long the token resuming at `offset` is: deterministic, between 1000 and 3000."""
    return 1000 + (offset * 7919 + 271) % 2001


class DataZoneService:
    """ListJobRuns and GetJobRun, keyed by botocore operation name."""

    def __init__(self, data: DataZoneData, pager: Pager) -> None:
        self.data = data
        self.pager = pager
        self.operations: dict[str, Handler] = {
            "ListJobRuns": self.list_job_runs,
            "GetJobRun": self.get_job_run,
        }

    async def list_job_runs(self, call: AwsCall) -> dict[str, Any]:
        p = call.params
        domain, job = p["domainIdentifier"], p["jobIdentifier"]
        status, order = p.get("status"), p.get("sortOrder", "DESCENDING")
        try:
            if call.region != self.data.region:
                raise KeyError(domain)
            items = self.data.job_runs(domain, job, status=status, sort_order=order)
        except KeyError:
            raise not_found(f"Job {job} not found in domain {domain}") from None
        page, token = self.pager.page(
            items,
            operation=call.operation,
            filters={
                "region": call.region,
                "domain": domain,
                "job": job,
                "status": status,
                "sortOrder": order,
            },
            token=p.get("nextToken"),
            token_param="nextToken",
            limit=p.get("maxResults", DEFAULT_PAGE),
            pad_to=token_length,
        )
        return {"items": page, "nextToken": token}

    async def get_job_run(self, call: AwsCall) -> dict[str, Any]:
        domain, run_id = call.params["domainIdentifier"], call.params["identifier"]
        try:
            if call.region != self.data.region:
                raise KeyError(domain)
            return self.data.job_run(domain, run_id)
        except KeyError:
            raise not_found(f"Job run {run_id} not found in domain {domain}") from None
