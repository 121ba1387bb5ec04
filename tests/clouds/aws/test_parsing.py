"""The fast REST-JSON parser answers exactly what botocore's own parser answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from aiobotocore.session import AioSession
from botocore.config import Config

from gateway.clouds.aws.parsing import FastParserFactory
from gateway.clouds.aws.wire import parse_timestamp
from tests.conftest import Upstreams, datazone_domain


def _session(fast: bool) -> AioSession:
    session = AioSession()
    factory = FastParserFactory() if fast else session.get_component("response_parser_factory")
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)
    session.register_component("response_parser_factory", factory)
    return session


def _strip(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


async def _answers(url: str, fast: bool) -> list[dict[str, Any]]:
    cfg = Config(inject_host_prefix=False, retries={"total_max_attempts": 1})
    session = _session(fast)
    out: list[dict[str, Any]] = []
    async with session.create_client(
        "omics", region_name="us-east-1", endpoint_url=url, config=cfg
    ) as omics:
        batches = await omics.list_batch()
        batch_id = batches["items"][0]["id"]
        runs = await omics.list_runs()
        for run in runs["items"]:  # the first run that has tasks
            run_id = run["id"]
            tasks = await omics.list_run_tasks(id=run_id, maxResults=100)
            if tasks["items"]:
                break
        out += [batches, runs, tasks]
        out.append(await omics.get_batch(batchId=batch_id))
        out.append(await omics.list_runs_in_batch(batchId=batch_id))
        out.append(await omics.get_run(id=run_id))
        out.append(await omics.get_run_task(id=run_id, taskId=tasks["items"][0]["taskId"]))
    async with session.create_client(
        "datazone", region_name="us-east-1", endpoint_url=url, config=cfg
    ) as dz:
        domain = datazone_domain(url)
        for job in upstreams_jobs(url):  # the first job that has runs
            job_runs = await dz.list_job_runs(domainIdentifier=domain, jobIdentifier=job)
            if job_runs["items"]:
                break
        out.append(job_runs)
        run = job_runs["items"][0]["runId"]
        out.append(await dz.get_job_run(domainIdentifier=domain, identifier=run))
    return [_strip(a) for a in out]


def upstreams_jobs(url: str) -> list[str]:
    dataset = httpx.get(f"{url}/_emulator/dataset", timeout=10).json()
    domain: dict[str, Any] = next(iter(dataset["datazone"]["us-east-1"]["domains"].values()))
    return [str(job) for job in domain["jobs"]]


async def test_omics_and_datazone_answers_match_botocore(upstreams: Upstreams) -> None:
    fast = await _answers(upstreams.url, fast=True)
    assert fast == await _answers(upstreams.url, fast=False)
    tasks = fast[2]["items"]
    assert tasks and all(isinstance(t["creationTime"], datetime) for t in tasks)
    assert isinstance(fast[3]["defaultRunSetting"], dict)  # a nested structure
