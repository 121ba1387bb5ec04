"""AWS DataZone in the schema: a job handle (DataZone has no GetJob) and its job runs.

`DataZoneJob` costs no upstream call to make; its `runs` (ListJobRuns) is where a missing job
shows, as NOT_FOUND. Job runs carry every JobRunSummary field; GetJobRun's `details` is read
only when selected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import strawberry

from gateway.clouds.datazone.provider import DataZoneProvider, validate_job_id, validate_run_id
from gateway.clouds.datazone.states import KIND as DZ
from gateway.clouds.datazone.states import STATES
from gateway.graph.context import Info
from gateway.graph.ids import global_id
from gateway.graph.interfaces import Batch, Node, Run, RunConnection, TaskConnection, connection
from gateway.graph.provider import Provider
from gateway.graph.records import Detailed, build_node, nested, upstream_field
from gateway.graph.relay import PageArgs, relay
from gateway.types import ProviderKind, Record


async def load_job_run(info: Info, source: str, run_id: str) -> Record:
    p = info.context.upstream.provider_as(source, DataZoneProvider)
    record: Record = await info.context.loaders.each(source, "GetJobRun", p.get_job_run).load(
        run_id
    )
    return record


@strawberry.type(description="DataZone JobRunError: why a job run did not fully succeed.")
class DataZoneJobRunError:
    message: str | None


@strawberry.type(description="DataZone LineageSqlQueryRunDetails: a lineage run's SQL parsing.")
class DataZoneLineageSqlQueryRunDetails:
    query_start_time: datetime | None
    query_end_time: datetime | None
    total_queries_processed: int | None
    num_queries_failed: int | None
    error_messages: list[str] | None


@strawberry.type(description="DataZone LineageRunDetails.")
class DataZoneLineageRunDetails:
    __nested__: ClassVar[dict[str, Any]] = {
        "sql_query_run_details": DataZoneLineageSqlQueryRunDetails
    }

    sql_query_run_details: DataZoneLineageSqlQueryRunDetails | None


@strawberry.type(description="DataZone JobRunDetails (a union upstream; lineage is its one kind).")
class DataZoneJobRunDetails:
    __nested__: ClassVar[dict[str, Any]] = {"lineage_run_details": DataZoneLineageRunDetails}

    lineage_run_details: DataZoneLineageRunDetails | None


@strawberry.type(
    description="A DataZone job run: every JobRunSummary field; GetJobRun's `details` when "
    "selected. DataZone runs have no tasks and no batch."
)
class DataZoneJobRun(Run, Detailed):
    __nested__: ClassVar[dict[str, Any]] = {"error": DataZoneJobRunError}

    domain_id: str | None
    job_id: str | None
    job_type: str | None
    run_id: str | None
    run_mode: str | None
    error: DataZoneJobRunError | None
    created_by: str | None
    start_time: datetime | None
    end_time: datetime | None
    _detail: strawberry.Private[Record | None] = None

    details: DataZoneJobRunDetails | None = upstream_field(
        "details", DataZoneJobRunDetails, convert=nested(DataZoneJobRunDetails)
    )

    async def load_detail(self, info: Info) -> Record:
        return await load_job_run(info, self.source, self.native_id)

    @classmethod
    def make(cls, source: str, record: Record, detail: bool = False) -> DataZoneJobRun:
        run_id = str(record.get("runId") or record["id"])
        status = record.get("status")
        return build_node(
            cls,
            record,
            source,
            run_id,
            provider=DZ,
            run_id=run_id,
            name=None,
            state=STATES.run_state(status),
            created_at=record.get("createdAt"),
            started_at=record.get("startTime"),
            stopped_at=record.get("endTime"),
            _detail=record if detail else None,
        )

    @strawberry.field(description="Always null: DataZone job runs belong to no batch.")
    async def batch(self, info: Info) -> Batch | None:
        return None

    @strawberry.field(description="Always null: DataZone has no task breakdown.")
    @relay
    async def tasks(self, info: Info, *, page: PageArgs) -> TaskConnection | None:
        return None


@strawberry.type(
    description="A DataZone job, as a handle: DataZone has no GetJob, so making it calls nothing; "
    "`runs` (ListJobRuns) answers NOT_FOUND when the job does not exist."
)
class DataZoneJob(Node):
    source: str
    provider: ProviderKind = strawberry.field(graphql_type=Provider)
    job_id: str | None = strawberry.field(
        description="Always set; nullable only to agree with `DataZoneJobRun.jobId`."
    )

    @classmethod
    def make(cls, source: str, job_id: str) -> DataZoneJob:
        return cls(
            id=strawberry.ID(global_id("DataZoneJob", source, job_id)),
            source=source,
            provider=DZ,
            job_id=job_id,
        )

    @strawberry.field(description="ListJobRuns in the source's domain.")
    @relay
    async def runs(
        self,
        info: Info,
        status: str | None = None,
        sort_order: str | None = None,
        *,
        page: PageArgs,
    ) -> RunConnection | None:
        p = info.context.upstream.provider_as(self.source, DataZoneProvider)
        assert self.job_id is not None
        listing = p.job_runs(self.job_id, status=status, sort_order=sort_order)
        conn = await info.context.loaders.connection(p, listing, **page)
        source = self.source
        return connection(RunConnection, conn, lambda item: DataZoneJobRun.make(source, item))


class DataZoneRoots:
    """`node` and `run` for DataZone sources; it has no batches and no run listing per source
    (runs belong to a job: `dataZoneJob`)."""

    node_types = frozenset({"DataZoneJob", "DataZoneJobRun"})

    def job(self, info: Info, source: str, job_id: str) -> DataZoneJob:
        info.context.upstream.provider_as(source, DataZoneProvider)
        validate_job_id(job_id)
        return DataZoneJob.make(source, job_id)

    async def run(self, info: Info, source: str, run_id: str) -> DataZoneJobRun:
        info.context.upstream.provider_as(source, DataZoneProvider)
        validate_run_id(run_id)
        return DataZoneJobRun.make(source, await load_job_run(info, source, run_id), detail=True)

    async def node(self, info: Info, type_name: str, source: str, key: str) -> Node:
        if type_name == "DataZoneJob":
            return self.job(info, source, key)
        return await self.run(info, source, key)


ROOTS = DataZoneRoots()


@strawberry.type
class DataZoneQuery:
    """DataZone's own root field, merged into Query by the schema."""

    @strawberry.field(
        description="A DataZone job by id in the source's domain: a handle (DataZone has no "
        "GetJob); its `runs` answer NOT_FOUND when ListJobRuns says the job does not exist."
    )
    def data_zone_job(self, info: Info, source: str, id: str) -> DataZoneJob | None:
        return ROOTS.job(info, source, id)
