"""AWS DataZone: a job's runs (ListJobRuns) and one run's details (GetJobRun) in one domain.

DataZone has no GetJob: a job is known only through its runs listing, so the provider never
claims a job is missing unless ListJobRuns says so. Tokens run to 8192 characters; the paging
layer keeps them out of cursors.
"""

from __future__ import annotations

from typing import Any

from gateway.clouds.aws.wire import AwsProvider, validate
from gateway.clouds.datazone.states import KIND
from gateway.errors import ErrorCode, GatewayError
from gateway.types import Listing, Page, PageRef, Record

SERVICE = "datazone"
MAX_PAGE = 50


class DataZoneProvider(AwsProvider):
    """One DataZone domain (account + region + `domain_id`)."""

    kind = KIND
    service = SERVICE

    @property
    def domain_id(self) -> str:
        if not self.config.domain_id:
            raise GatewayError(
                f"source {self.name!r} has no domain_id configured",
                ErrorCode.INTERNAL,
                source=self.name,
                provider=self.kind,
            )
        return self.config.domain_id

    # -- listings -----------------------------------------------------------------------------

    def job_runs(
        self, job_id: str, status: str | None = None, sort_order: str | None = None
    ) -> Listing:
        params = {
            "domainIdentifier": self.domain_id,
            "jobIdentifier": job_id,
            "status": status,
            "sortOrder": sort_order,
        }
        kept = {k: v for k, v in params.items() if v is not None}
        validate(SERVICE, "ListJobRuns", kept)
        return Listing("ListJobRuns", tuple(sorted(kept.items())), parent=job_id, max_page=MAX_PAGE)

    def item_key(self, listing: Listing, item: Record) -> str:
        return str(item["runId"])

    async def fetch_page(self, listing: Listing, ref: PageRef, size: int) -> Page:
        kwargs: dict[str, Any] = dict(listing.params)
        kwargs["maxResults"] = min(size, MAX_PAGE)
        if ref is not None:
            kwargs["nextToken"] = ref

        async def invoke(client: Any) -> dict[str, Any]:
            result: dict[str, Any] = await client.list_job_runs(**kwargs)
            return result

        response = await self.wire.call("ListJobRuns", invoke, paging=ref is not None)
        return Page(response.get("items", []), response.get("nextToken"))

    # -- entities -----------------------------------------------------------------------------

    async def get_job_run(self, run_id: str) -> Record:
        params = {"domainIdentifier": self.domain_id, "identifier": run_id}
        validate(SERVICE, "GetJobRun", params)

        async def invoke(client: Any) -> dict[str, Any]:
            result: dict[str, Any] = await client.get_job_run(**params)
            result.pop("ResponseMetadata", None)
            return result

        return await self.wire.call("GetJobRun", invoke)


def validate_job_id(job_id: str) -> None:
    """BAD_USER_INPUT unless `job_id` matches DataZone's job identifier pattern (no call)."""
    validate(SERVICE, "ListJobRuns", {"jobIdentifier": job_id})


def validate_run_id(run_id: str) -> None:
    """BAD_USER_INPUT unless `run_id` matches GetJobRun's identifier pattern (no call)."""
    validate(SERVICE, "GetJobRun", {"identifier": run_id})
