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
from gateway.errors import bad_input, quoted
from gateway.graph.context import Info
from gateway.graph.ids import global_id
from gateway.graph.interfaces import (
    Batch,
    Node,
    Run,
    RunConnection,
    RunEdge,
    TaskConnection,
    page_info,
)
from gateway.graph.records import build, nested, upstream_field
from gateway.states import run_state
from gateway.types import ProviderKind, Record

DZ = ProviderKind.DATAZONE


def _provider(info: Info, source: str) -> DataZoneProvider:
    provider = info.context.upstream.provider(source)
    if not isinstance(provider, DataZoneProvider):
        raise bad_input(f"source {quoted(source)} is not a DataZone source")
    return provider


async def load_job_run(info: Info, source: str, run_id: str) -> Record:
    p = _provider(info, source)
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
class DataZoneJobRun(Run):
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

    async def detail(self, info: Info) -> Record:
        if self._detail is None:
            self._detail = await load_job_run(info, self.source, self.native_id)
        return self._detail

    @classmethod
    def make(cls, source: str, record: Record, detail: bool = False) -> DataZoneJobRun:
        run_id = str(record.get("runId") or record["id"])
        status = record.get("status")
        return build(
            cls,
            record,
            id=global_id("DataZoneJobRun", source, run_id),
            source=source,
            provider=DZ,
            native_id=run_id,
            run_id=run_id,
            name=None,
            state=run_state(DZ, status),
            created_at=record.get("createdAt"),
            started_at=record.get("startTime"),
            stopped_at=record.get("endTime"),
            _detail=record if detail else None,
        )

    @strawberry.field(description="Always null: DataZone job runs belong to no batch.")
    async def batch(self, info: Info) -> Batch | None:
        return None

    @strawberry.field(description="Always null: DataZone has no task breakdown.")
    async def tasks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> TaskConnection | None:
        return None


@strawberry.type(
    description="A DataZone job, as a handle: DataZone has no GetJob, so making it calls nothing; "
    "`runs` (ListJobRuns) answers NOT_FOUND when the job does not exist."
)
class DataZoneJob(Node):
    source: str
    provider: ProviderKind
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
    async def runs(
        self,
        info: Info,
        status: str | None = None,
        sort_order: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> RunConnection | None:
        p = _provider(info, self.source)
        assert self.job_id is not None
        listing = p.job_runs(self.job_id, status=status, sort_order=sort_order)
        conn = await info.context.loaders.connection(
            p, listing, first=first, after=after, last=last, before=before
        )
        edges = [
            RunEdge(node=DataZoneJobRun.make(self.source, s.item), _slot=s, _conn=conn)
            for s in conn.slots
        ]
        return RunConnection(edges=edges, page_info=page_info(conn), total_count=None)


class DataZoneRoots:
    """Root fields and `node` for DataZone sources; Query dispatches here by provider."""

    node_types = frozenset({"DataZoneJob", "DataZoneJobRun"})

    def job(self, info: Info, source: str, job_id: str) -> DataZoneJob:
        _provider(info, source)
        validate_job_id(job_id)
        return DataZoneJob.make(source, job_id)

    async def run(self, info: Info, source: str, run_id: str) -> DataZoneJobRun:
        _provider(info, source)
        validate_run_id(run_id)
        return DataZoneJobRun.make(source, await load_job_run(info, source, run_id), detail=True)

    async def node(self, info: Info, type_name: str, source: str, key: str) -> Any:
        if type_name == "DataZoneJob":
            return self.job(info, source, key)
        return await self.run(info, source, key)

    async def batch(self, info: Info, source: str, batch_id: str) -> Any:
        raise bad_input("DataZone has no batches; use `dataZoneJob(source:, id:)`")

    async def batches(self, info: Info, source: str, filters: Any, page: Any) -> Any:
        raise bad_input("DataZone has no batches; use `dataZoneJob(source:, id:)`")

    async def runs(self, info: Info, source: str, filters: Any, page: Any) -> Any:
        raise bad_input("DataZone runs belong to a job: use `dataZoneJob(source:, id:) { runs }`")
