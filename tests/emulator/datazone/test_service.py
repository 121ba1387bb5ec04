"""DataZone job runs through boto3 and aiobotocore: fields, ordering, filters, long tokens."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from aiobotocore.session import get_session

from gateway.emulator.aws.protocol import validate
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from tests.emulator.conftest import REGION, Served, client_config, strip_none, without_metadata

MODEL = botocore.session.get_session().get_service_model("datazone")


def _walk(
    client: Any, page_size: int = 50, **kwargs: Any
) -> tuple[list[dict[str, Any]], list[str]]:
    items: list[dict[str, Any]] = []
    tokens: list[str] = []
    pages = client.get_paginator("list_job_runs").paginate(
        PaginationConfig={"PageSize": page_size}, **kwargs
    )
    for page in pages:
        items += page["items"]
        if "nextToken" in page:
            tokens.append(page["nextToken"])
    return items, tokens


def test_every_job_lists_its_runs_newest_first(emulator: Served, datazone: Any) -> None:
    data = emulator.emulator.datazone
    statuses: set[str] = set()
    fields: set[str] = set()
    for domain in data.domains():
        for job in data.jobs(domain):
            items, _ = _walk(datazone, domainIdentifier=domain, jobIdentifier=job)
            assert items == strip_none(data.job_runs(domain, job))
            created = [i["createdAt"] for i in items]
            assert created == sorted(created, reverse=True)
            statuses |= {i["status"] for i in items}
            fields |= set().union(set(), *items)
    assert statuses == set(MODEL.shape_for("JobRunStatus").enum)
    assert fields == set(MODEL.shape_for("JobRunSummary").members)


def test_empty_and_busy_jobs(emulator: Served, datazone: Any) -> None:
    data = emulator.emulator.datazone
    domain, empty = data.empty_job
    assert _walk(datazone, domainIdentifier=domain, jobIdentifier=empty)[0] == []
    domain, busy = data.busy_job
    items, tokens = _walk(datazone, 50, domainIdentifier=domain, jobIdentifier=busy)
    assert len(items) > 100 and len(tokens) >= 2
    assert all(1000 <= len(t) <= 8192 for t in tokens)
    assert set(tokens) <= set(emulator.emulator.calls.tokens())


def test_sort_order_and_status_filter(emulator: Served, datazone: Any) -> None:
    data = emulator.emulator.datazone
    domain, job = data.busy_job
    asc, _ = _walk(datazone, 17, domainIdentifier=domain, jobIdentifier=job, sortOrder="ASCENDING")
    assert asc == strip_none(data.job_runs(domain, job, sort_order="ASCENDING"))
    desc = strip_none(data.job_runs(domain, job))
    assert asc == desc[::-1]
    for status in MODEL.shape_for("JobRunStatus").enum:
        got, _ = _walk(datazone, domainIdentifier=domain, jobIdentifier=job, status=status)
        assert got and {g["status"] for g in got} == {status}


def test_get_job_run_has_every_field(emulator: Served, datazone: Any) -> None:
    data = emulator.emulator.datazone
    domain, job = data.busy_job
    shape = MODEL.operation_model("GetJobRun").output_shape
    seen: set[str] = set()
    for item in data.job_runs(domain, job):
        run = without_metadata(
            datazone.get_job_run(domainIdentifier=domain, identifier=item["runId"])
        )
        truth = data.job_run(domain, item["runId"])
        assert run == strip_none(truth)
        validate(shape, truth, "")
        assert {k: run[k] for k in strip_none(item) if k != "runId"} == {
            k: v for k, v in strip_none(item).items() if k != "runId"
        }
        seen |= set(run)
    assert seen == set(shape.members)


def test_unknown_job_domain_and_run(emulator: Served, datazone: Any) -> None:
    domain, _ = emulator.emulator.datazone.busy_job
    with pytest.raises(datazone.exceptions.ResourceNotFoundException):
        datazone.list_job_runs(domainIdentifier=domain, jobIdentifier="nosuchjob")
    with pytest.raises(datazone.exceptions.ResourceNotFoundException):
        datazone.list_job_runs(domainIdentifier="dzd_nosuchdomain", jobIdentifier="nosuchjob")
    with pytest.raises(datazone.exceptions.ResourceNotFoundException):
        datazone.get_job_run(domainIdentifier=domain, identifier="nosuchrun")


async def test_aiobotocore_walks_job_runs_and_reads_runs(emulator: Served) -> None:
    data = emulator.emulator.datazone
    domain, job = data.busy_job
    session = get_session()
    async with session.create_client(
        "datazone",
        endpoint_url=emulator.url,
        region_name=REGION,
        aws_access_key_id=DEMO_ACCESS_KEY_ID,
        aws_secret_access_key=DEMO_SECRET_ACCESS_KEY,
        config=client_config(),
    ) as client:
        items: list[dict[str, Any]] = []
        async for page in client.get_paginator("list_job_runs").paginate(
            domainIdentifier=domain, jobIdentifier=job, PaginationConfig={"PageSize": 40}
        ):
            items += page["items"]
        assert items == strip_none(data.job_runs(domain, job))
        run = await client.get_job_run(domainIdentifier=domain, identifier=items[0]["runId"])
        assert run["id"] == items[0]["runId"]
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            await client.get_job_run(domainIdentifier=domain, identifier="nosuchrun")


async def test_aiobotocore_omics(emulator: Served) -> None:
    data = emulator.emulator.healthomics
    async with get_session().create_client(
        "omics",
        endpoint_url=emulator.url,
        region_name=REGION,
        aws_access_key_id=DEMO_ACCESS_KEY_ID,
        aws_secret_access_key=DEMO_SECRET_ACCESS_KEY,
        config=client_config(),
    ) as client:
        batch_id = data.batch_ids()[0]
        batch = await client.get_batch(batchId=batch_id)
        assert without_metadata(batch) == strip_none(data.batch(batch_id))
        runs: list[dict[str, Any]] = []
        async for page in client.get_paginator("list_runs").paginate(
            PaginationConfig={"PageSize": 9}
        ):
            runs += page["items"]
        assert runs == strip_none(data.all_runs())
