"""The paging law for Tencent offset listings: any Limit sequence, any filters, hostile or not,
walking by Offset yields every ground-truth item exactly once, in order, with a true TotalCount.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.omics.v20221128 import omics_client

from gateway.emulator.tencent.data import TencentData
from gateway.emulator.tencent.model import GROUP_STATUSES, RUN_STATUSES

CRED = Credential("AKIDEMULATOR00000000", "emulator-secret-key")
RUN_FILTERS = ("RunGroupId", "Status", "RunUuid")
GROUP_FILTERS = ("RunGroupId", "Status", "Type", "Name")


@pytest.fixture
def client(emulator: Any) -> omics_client.OmicsClient:
    endpoint = emulator.url.removeprefix("http://")
    prof = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint))
    # Thousands of calls: lift the 20/s quota for this test (the autouse reset restores it).
    emulator.emulator.faults.configure("tencent", "*", quota_rps=None)
    return omics_client.OmicsClient(CRED, "ap-guangzhou", prof)


@st.composite
def listing_case(draw: st.DrawFn, data: TencentData) -> dict[str, Any]:
    """A listing (runs or groups), a project, filters drawn from real ids, Limits, hostility."""
    groups = draw(st.booleans())
    project = draw(st.sampled_from(data.projects()))
    rows = data.run_groups(project) if groups else data.runs(project)
    filters: list[dict[str, Any]] = []
    for name in draw(
        st.lists(st.sampled_from(GROUP_FILTERS if groups else RUN_FILTERS), unique=True, max_size=2)
    ):
        if name == "RunGroupId":
            pool = [g["RunGroupId"] for g in data.run_groups(project)] + ["rg-unknown"]
        elif name == "Status":
            pool = list(GROUP_STATUSES if groups else RUN_STATUSES)
        elif name == "RunUuid":
            pool = [r["RunUuid"] for r in rows[:150]] + ["00000000-0000-4000-8000-000000000000"]
        elif name == "Type":
            pool = ["WDL", "NEXTFLOW"]
        else:
            pool = ["batch", "germline", "rnaseq", "-01"]
        values = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=8, unique=True))
        filters.append({"Name": name, "Values": values})
    return {
        "action": "DescribeRunGroups" if groups else "DescribeRuns",
        "project": project,
        "filters": filters,
        "limits": draw(st.lists(st.integers(1, 100), min_size=1, max_size=4)),
        "short": draw(st.booleans()),
        "empty": draw(st.booleans()),
    }


def truth(data: TencentData, case: dict[str, Any]) -> list[str]:
    """The expected ids, computed from the ground-truth API rather than the service's filters."""
    groups = case["action"] == "DescribeRunGroups"
    rows = data.run_groups(case["project"]) if groups else data.runs(case["project"])
    for f in case["filters"]:
        if f["Name"] == "Name":
            rows = [r for r in rows if any(v in r["Name"] for v in f["Values"])]
        else:
            rows = [r for r in rows if r[f["Name"]] in f["Values"]]
    return [r["RunGroupId"] if groups else r["RunUuid"] for r in rows]


def walk(client: Any, case: dict[str, Any]) -> tuple[list[str], int, set[int]]:
    key = "RunGroups" if case["action"] == "DescribeRunGroups" else "Runs"
    ident = "RunGroupId" if key == "RunGroups" else "RunUuid"
    seen: list[str] = []
    totals: set[int] = set()
    for i in range(2000):
        params: dict[str, Any] = {
            "ProjectId": case["project"],
            "Limit": case["limits"][i % len(case["limits"])],
            "Offset": len(seen),
        }
        if case["filters"]:
            params["Filters"] = case["filters"]
        resp = client.call_json(case["action"], params)["Response"]
        totals.add(resp["TotalCount"])
        page = resp[key]
        assert len(page) <= params["Limit"]
        seen.extend(item[ident] for item in page)
        if len(seen) >= resp["TotalCount"]:
            return seen, i + 1, totals
    raise AssertionError("the walk did not end: an endless run of empty pages?")


@pytest.fixture
def data(emulator: Any) -> TencentData:
    truth_ = emulator.emulator.tencent
    assert isinstance(truth_, TencentData)
    return truth_


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_offset_walk_yields_every_item_once_in_order(
    emulator: Any, client: Any, data: TencentData, drawn: st.DataObject
) -> None:
    case = drawn.draw(listing_case(data))
    faults = emulator.emulator.faults
    faults.configure("tencent", case["action"], short_pages=False, empty_pages=False)
    client.call_json(case["action"], {"Limit": 1})  # forget empty pages served earlier
    faults.configure(
        "tencent", case["action"], short_pages=case["short"], empty_pages=case["empty"]
    )
    expected = truth(data, case)
    seen, _, totals = walk(client, case)
    assert totals == {len(expected)}
    assert seen == expected


def test_hostile_pages_really_are_short_and_empty(
    emulator: Any, client: Any, data: TencentData
) -> None:
    faults = emulator.emulator.faults
    faults.configure("tencent", "DescribeRuns", short_pages=True, empty_pages=True)
    first = client.call_json("DescribeRuns", {"Limit": 100})["Response"]
    again = client.call_json("DescribeRuns", {"Limit": 100})["Response"]
    total = len(data.runs())
    assert first["TotalCount"] == again["TotalCount"] == total > 100
    sizes = [len(first["Runs"]), len(again["Runs"])]
    assert sizes[0] == 0 and 0 < sizes[1] < 100, "empty once, then a short page"
    case = {
        "action": "DescribeRuns",
        "project": data.default_project,
        "filters": [],
        "limits": [100],
    }
    seen, calls, _ = walk(client, case)
    assert seen == [r["RunUuid"] for r in data.runs()] and calls > 2
