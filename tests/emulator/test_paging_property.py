"""The paging law on the emulator: any page sizes, any filters, hostile or not, each item once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.emulator.conftest import Served, strip_none


@dataclass(frozen=True)
class Listing:
    """One listing call: its client method, fixed arguments, paging names and ground truth."""

    service: str
    operation: str
    kwargs: dict[str, Any]
    limit_key: str
    token_in: str
    result_key: str
    max_page: int
    truth: Callable[[Served], list[dict[str, Any]]]


def _listings(served: Served) -> list[Listing]:
    ho, dz = served.emulator.healthomics, served.emulator.datazone
    batch = next(b for b in ho.batch_ids() if len(ho.runs_in_batch(b)) > 2)
    big_run = max(
        ho.all_runs(), key=lambda r: len(ho.tasks(r["id"])) if r["status"] != "DELETED" else 0
    )["id"]
    domain, job = dz.busy_job
    omics = ("omics", "startingToken")
    out = [
        Listing(*omics[:1], "list_batch", {}, "maxItems", omics[1], "items", 100, lambda s: ho.batches()),
        Listing(*omics[:1], "list_batch", {"status": "PROCESSED"}, "maxItems", omics[1], "items", 100,
                lambda s: ho.batches(status="PROCESSED")),
        Listing(*omics[:1], "list_runs_in_batch", {"batchId": batch}, "maxItems", omics[1], "runs", 100,
                lambda s: ho.runs_in_batch(batch)),
        Listing(*omics[:1], "list_runs_in_batch", {"batchId": batch, "submissionStatus": "SUCCESS"},
                "maxItems", omics[1], "runs", 100,
                lambda s: [r for r in ho.runs_in_batch(batch) if r["submissionStatus"] == "SUCCESS"]),
        Listing(*omics[:1], "list_runs", {}, "maxResults", omics[1], "items", 100, lambda s: ho.all_runs()),
        Listing(*omics[:1], "list_runs", {"status": "COMPLETED"}, "maxResults", omics[1], "items", 100,
                lambda s: ho.runs(status="COMPLETED")),
        Listing(*omics[:1], "list_runs", {"batchId": batch}, "maxResults", omics[1], "items", 100,
                lambda s: ho.runs(batch_id=batch)),
        Listing(*omics[:1], "list_run_tasks", {"id": big_run}, "maxResults", omics[1], "items", 100,
                lambda s: ho.tasks(big_run)),
        Listing(*omics[:1], "list_run_tasks", {"id": big_run, "status": "COMPLETED"}, "maxResults",
                omics[1], "items", 100, lambda s: ho.tasks(big_run, status="COMPLETED")),
        Listing("datazone", "list_job_runs", {"domainIdentifier": domain, "jobIdentifier": job},
                "maxResults", "nextToken", "items", 50, lambda s: dz.job_runs(domain, job)),
        Listing("datazone", "list_job_runs",
                {"domainIdentifier": domain, "jobIdentifier": job, "sortOrder": "ASCENDING",
                 "status": "SUCCESS"},
                "maxResults", "nextToken", "items", 50,
                lambda s: dz.job_runs(domain, job, status="SUCCESS", sort_order="ASCENDING")),
    ]  # fmt: skip
    return out


def _operation_name(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_"))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    pick=st.integers(0, 10),
    sizes=st.lists(st.integers(1, 100), min_size=1, max_size=6),
    short=st.booleans(),
    empty=st.booleans(),
    last=st.booleans(),
)
def test_walk_yields_every_item_once_in_order(
    emulator: Served, omics: Any, datazone: Any, pick: int, sizes: list[int], short: bool,
    empty: bool, last: bool,
) -> None:  # fmt: skip
    listing = _listings(emulator)[pick]
    client = omics if listing.service == "omics" else datazone
    faults = emulator.emulator.faults
    faults.configure(
        listing.service,
        _operation_name(listing.operation),
        short_pages=short,
        empty_pages=empty,
        token_on_last_page=last,
    )
    try:
        expected = strip_none(listing.truth(emulator))
        seen: list[dict[str, Any]] = []
        token: str | None = None
        for call in range(3 * len(expected) + 10):
            size = min(sizes[call % len(sizes)], listing.max_page)
            args = {**listing.kwargs, listing.limit_key: size}
            if token is not None:
                args[listing.token_in] = token
            page = getattr(client, listing.operation)(**args)
            assert len(page[listing.result_key]) <= size
            seen += page[listing.result_key]
            token = page.get("nextToken")
            if token is None:
                break
        assert token is None, "the walk did not end"
        assert seen == expected
    finally:
        faults.reset(quotas=emulator.emulator.quotas)


def test_hostile_paging_is_really_hostile(emulator: Served, omics: Any) -> None:
    """Empty pages carrying a token, short pages, and a token after the last full page."""
    data = emulator.emulator.healthomics
    emulator.emulator.faults.configure(
        "omics", "ListRuns", short_pages=True, empty_pages=True, token_on_last_page=True
    )
    pages = []
    token: str | None = None
    while True:
        page = omics.list_runs(maxResults=10, **({"startingToken": token} if token else {}))
        pages.append(page)
        token = page.get("nextToken")
        if token is None:
            break
    sizes = [len(p["items"]) for p in pages]
    assert 0 in sizes[:-1] and any(0 < s < 10 for s in sizes)
    assert sizes[-1] == 0 and "nextToken" in pages[-2]
    assert [i for p in pages for i in p["items"]] == strip_none(data.all_runs())
