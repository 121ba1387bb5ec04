"""`/_emulator/lists` changes listings between two client calls, seen through the real clients:
botocore for HealthOmics and DataZone (token paging), the Tencent SDK (offset paging)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.omics.v20221128 import models, omics_client

from gateway.emulator.app import create_emulator
from gateway.emulator.server import LoopbackServer
from tests.emulator.conftest import Served, aws_client


@pytest.fixture
def private() -> Iterator[Served]:
    """An emulator of its own: these tests change its lists, which the shared one must not see."""
    emu = create_emulator(seed=7, scale="small", quotas=False)
    with LoopbackServer(emu.app) as srv:
        yield Served(srv.url, emu)


def _change(served: Served, **body: Any) -> dict[str, Any]:
    resp = httpx.post(served.url + "/_emulator/lists", json=body, timeout=10)
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


def _runs(client: Any, **kw: Any) -> list[str]:
    pages = client.get_paginator("list_runs").paginate(PaginationConfig={"PageSize": 7}, **kw)
    return [r["id"] for page in pages for r in page["items"]]


def test_healthomics_runs_change_between_pages(private: Served) -> None:
    omics = aws_client(private, "omics")
    before = _runs(omics)
    target = {"service": "omics", "listing": "ListRuns"}
    inserted = _change(private, **target, insert=3)["inserted"]
    assert _runs(omics) == inserted + before
    assert omics.get_run(id=inserted[0])["id"] == inserted[0], "an inserted run is a run"
    # A token handed out before the insertion resumes by position, as offset-backed tokens do.
    first = omics.list_runs(maxResults=5)
    expect = inserted + before
    assert _change(private, **target, at=0)["deleted"] == expect[0:1]
    del expect[0]
    assert _change(private, **target, before=4, count=2)["deleted"] == expect[2:4]
    del expect[2:4]
    assert _change(private, **target, after=4, count=2)["deleted"] == expect[5:7]
    del expect[5:7]
    now = _runs(omics)
    assert now == expect
    resumed = omics.list_runs(maxResults=5, startingToken=first["nextToken"])
    assert [r["id"] for r in resumed["items"]] == now[5:10]
    httpx.delete(private.url + "/_emulator/lists", timeout=10).raise_for_status()
    assert _runs(omics) == before


def test_datazone_job_runs_insert_at_the_newest_end(private: Served) -> None:
    datazone = aws_client(private, "datazone")
    domain, job = private.emulator.datazone.busy_job

    def listed(order: str = "DESCENDING") -> list[str]:
        pages = datazone.get_paginator("list_job_runs").paginate(
            domainIdentifier=domain, jobIdentifier=job, sortOrder=order
        )
        return [r["runId"] for page in pages for r in page["items"]]

    before = listed()
    target = {"service": "datazone", "listing": "ListJobRuns", "parent": f"{domain}/{job}"}
    inserted = _change(private, **target, insert=2)["inserted"]
    assert listed() == inserted + before
    assert listed("ASCENDING") == list(reversed(inserted + before))
    _change(private, **target, ids=[before[1], inserted[0]])
    assert listed() == [inserted[1], before[0], *before[2:]]


def test_tencent_offset_listing_changes(private: Served) -> None:
    prof = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=private.url[7:]))
    client = omics_client.OmicsClient(
        Credential("AKIDEMULATOR00000000", "emulator-secret-key"), "ap-guangzhou", prof
    )

    def runs(group: str, offset: int = 0, limit: int = 100) -> tuple[list[str], int]:
        req = models.DescribeRunsRequest()
        req.from_json_string(
            json.dumps(
                {
                    "Offset": offset,
                    "Limit": limit,
                    "Filters": [{"Name": "RunGroupId", "Values": [group]}],
                }
            )
        )
        resp = client.DescribeRuns(req)
        return [r.RunUuid for r in resp.Runs], resp.TotalCount

    tc = private.emulator.tencent
    group = max(tc.run_groups(), key=lambda g: g["TotalRun"])["RunGroupId"]
    before, total = runs(group)
    target = {"service": "tencent", "listing": "DescribeRuns", "parent": group}
    inserted = _change(private, **target, insert=4)["inserted"]
    assert runs(group, 0, 6) == ([*inserted, *before[:2]], total + 4)
    _change(private, **target, at=1)
    assert runs(group, 0, 3)[0] == [inserted[0], inserted[2], inserted[3]]
    group_ids = _change(private, service="tencent", listing="DescribeRunGroups", insert=1)["ids"]
    assert (
        group_ids[0]
        in tc.dataset_summary()["ap-guangzhou"]["projects"][tc.default_project]["runGroups"]
    )


@pytest.mark.parametrize(
    "body",
    [
        {"service": "s3", "listing": "ListRuns", "insert": 1},
        {"service": "omics", "listing": "GetRun", "insert": 1},
        {"service": "omics", "listing": "ListRuns"},
        {"service": "omics", "listing": "ListRuns", "at": 1, "before": 2},
        {"service": "omics", "listing": "ListRuns", "at": 10_000},
        {"service": "omics", "listing": "ListRuns", "insert": -1},
        {"service": "omics", "listing": "ListRunTasks", "parent": "nope", "insert": 1},
        {"service": "datazone", "listing": "ListJobRuns", "parent": "x/y", "at": 0},
    ],
)
def test_bad_changes_are_refused_with_a_reason(private: Served, body: dict[str, Any]) -> None:
    before = private.emulator.healthomics.runs()
    resp = httpx.post(private.url + "/_emulator/lists", json=body, timeout=10)
    assert resp.status_code == 400
    assert resp.json()["error"]
    assert private.emulator.healthomics.runs() == before
