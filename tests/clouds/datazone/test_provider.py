"""DataZone through the gateway: long tokens stay out of cursors, the token store's expiry,
details only when asked, and every error mapping, counted where calls land."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gateway.clouds.datazone.provider import DataZoneProvider
from gateway.config import LimitsConfig, SourceConfig
from gateway.errors import ErrorCode
from gateway.graph.ids import global_id
from gateway.paging.cursor import CursorCodec
from gateway.paging.store import MemoryTokenStore
from gateway.paging.window import Walker
from gateway.types import Page, PageRef
from tests.conftest import Gateway

RUNS = """query($job: String!, $first: Int, $after: String, $last: Int, $before: String) {
  dataZoneJob(source: "datazone", id: $job) {
    id jobId
    runs(first: $first, after: $after, last: $last, before: $before) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { nativeId status } }
    }
  }
}"""


def _busy(gw: Gateway) -> tuple[str, str]:
    domain, job = gw.emulator.datazone.busy_job
    return domain, job


async def _runs(gw: Gateway, job: str, **page: Any) -> dict[str, Any]:
    args = {"first": None, "after": None, "last": None, "before": None, **page}
    body = await gw.query(RUNS, job=job, **args)
    return body


# -- long tokens ----------------------------------------------------------------------------------


async def test_long_upstream_tokens_never_reach_the_client(gateway: Gateway) -> None:
    domain, job = _busy(gateway)
    truth = [r["runId"] for r in gateway.emulator.datazone.job_runs(domain, job)]
    seen: list[str] = []
    cursors: list[str] = []
    after = None
    while True:
        body = await _runs(gateway, job, first=40, after=after)
        conn = body["data"]["dataZoneJob"]["runs"]
        seen += [e["node"]["nativeId"] for e in conn["edges"]]
        cursors += [e["cursor"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == truth
    tokens = gateway.emulator.calls.tokens()
    assert tokens and min(len(t) for t in tokens) >= 1000, "the emulator hands out long tokens"
    assert max(len(c) for c in cursors) <= 256
    text = str(gateway.responses)
    assert not any(t[:40] in text for t in tokens), "no upstream token leaves the gateway"


async def test_an_8192_char_token_still_makes_a_short_cursor() -> None:
    """DataZone's documented maximum, through the same walker and codec the app uses."""
    token = "t" * 8192
    pages = {None: Page([{"runId": "a"}, {"runId": "b"}], token), token: Page([{"runId": "c"}])}

    async def fetch(ref: PageRef, size: int) -> Page:
        return pages[ref]

    store = MemoryTokenStore()
    walker = Walker(
        fetch,
        lambda item: str(item["runId"]),
        max_page=50,
        store=store,
        chain_ns="t",
        max_walk_pages=10,
        token_ttl=60,
    )
    window = await walker.forward(3, None)
    codec = CursorCodec(["k"])
    cursor = codec.encode(window.slots[-1].cursor_data(), b"conn")
    assert window.slots[-1].ref == token
    assert len(cursor) <= 256
    assert await walker.resolve(codec.decode(cursor, b"conn").ref) == token
    store.forget_all()
    with pytest.raises(Exception) as err:
        await walker.resolve(codec.decode(cursor, b"conn").ref)
    assert getattr(err.value, "code", None) is ErrorCode.CURSOR_EXPIRED


async def test_a_forgotten_stored_token_is_cursor_expired(gateway: Gateway) -> None:
    _, job = _busy(gateway)
    first = await _runs(gateway, job, first=10)
    end = first["data"]["dataZoneJob"]["runs"]["pageInfo"]["endCursor"]
    second = await _runs(gateway, job, first=100, after=end)
    # The second window runs past the first upstream page of 100: it ends on the page fetched
    # with the first upstream token (a stored one).
    stored = second["data"]["dataZoneJob"]["runs"]["pageInfo"]["endCursor"]
    gateway.app.state.upstream.store.forget_all()
    gateway.reset_calls()
    for page in ({"first": 5, "after": stored}, {"last": 5, "before": stored}):
        body = await _runs(gateway, job, **page)
        assert body["data"]["dataZoneJob"]["runs"] is None
        assert body["errors"][0]["extensions"]["code"] == "CURSOR_EXPIRED"
    assert gateway.calls() == {}, "an expired cursor costs no upstream call"
    # A cursor on the first page (no token behind it) still works.
    again = await _runs(gateway, job, first=5, after=end)
    assert again["data"]["dataZoneJob"]["runs"]["edges"]


# -- fields and calls -------------------------------------------------------------------------------


async def test_details_are_fetched_only_when_asked(gateway: Gateway) -> None:
    domain, job = _busy(gateway)
    query = """query($job: String!) { dataZoneJob(source: "datazone", id: $job) {
      runs(first: 5, sortOrder: "ASCENDING") { edges { node { nativeId
        ... on DataZoneJobRun { details { lineageRunDetails { sqlQueryRunDetails {
          totalQueriesProcessed numQueriesFailed errorMessages } } } } } } } } }"""
    data = await gateway.data(query, job=job)
    dz = gateway.emulator.datazone
    truth = dz.job_runs(domain, job, sort_order="ASCENDING")[:5]
    edges = data["dataZoneJob"]["runs"]["edges"]
    assert [e["node"]["nativeId"] for e in edges] == [r["runId"] for r in truth]
    for edge in edges:
        full = dz.job_run(domain, edge["node"]["nativeId"])["details"]
        got = edge["node"]["details"]["lineageRunDetails"]["sqlQueryRunDetails"]
        want = full["lineageRunDetails"]["sqlQueryRunDetails"]
        assert got["totalQueriesProcessed"] == want["totalQueriesProcessed"]
        assert got["errorMessages"] == want["errorMessages"]
    assert gateway.calls() == {"datazone:ListJobRuns": 1, "datazone:GetJobRun": 5}


async def test_nodes_resolve_jobs_and_job_runs(gateway: Gateway) -> None:
    domain, job = _busy(gateway)
    run = gateway.emulator.datazone.job_runs(domain, job)[0]
    ids = [
        global_id("DataZoneJob", "datazone", job),
        global_id("DataZoneJobRun", "datazone", run["runId"]),
    ]
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { id
      ... on DataZoneJob { jobId provider }
      ... on DataZoneJobRun { runId jobId status state batch { id } tasks(first: 1) { totalCount } } } }"""
    data = await gateway.data(query, ids=ids)
    handle, got = data["nodes"]
    assert handle == {"id": ids[0], "jobId": job, "provider": "DATAZONE"}
    assert (got["runId"], got["jobId"], got["status"]) == (run["runId"], job, run["status"])
    assert got["batch"] is None and got["tasks"] is None
    assert gateway.calls() == {"datazone:GetJobRun": 1}, "the job handle costs no call"


# -- errors ---------------------------------------------------------------------------------------


async def test_unknown_job_is_not_found_only_through_its_runs(gateway: Gateway) -> None:
    body = await _runs(gateway, "nosuchjob0000", first=5)
    assert body["data"]["dataZoneJob"]["jobId"] == "nosuchjob0000"
    assert body["data"]["dataZoneJob"]["runs"] is None
    ext = body["errors"][0]["extensions"]
    assert (ext["code"], ext["upstreamCode"], ext["provider"]) == (
        "NOT_FOUND",
        "ResourceNotFoundException",
        "DATAZONE",
    )
    assert ext["requestId"]


async def test_job_without_runs_is_an_empty_connection(gateway: Gateway) -> None:
    _, empty = gateway.emulator.datazone.empty_job
    body = await _runs(gateway, empty, first=5)
    conn = body["data"]["dataZoneJob"]["runs"]
    assert conn["edges"] == [] and conn["pageInfo"]["hasNextPage"] is False


async def test_throttling_maps_after_botocores_retries(gateway: Gateway) -> None:
    """botocore's standard mode makes 3 attempts in all (`total_max_attempts`); only then does
    the client see THROTTLED. The rest of the table is checked below."""
    _, job = _busy(gateway)
    gateway.emulator.faults.configure("datazone", "ListJobRuns", throttle_rate=1.0)
    body = await _runs(gateway, job, first=5)
    ext = body["errors"][0]["extensions"]
    assert (ext["code"], ext["upstreamCode"]) == ("THROTTLED", "ThrottlingException")
    assert ext["requestId"]
    assert gateway.calls() == {"datazone:ListJobRuns": 3}


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": "upstream words"},
            "ResponseMetadata": {"RequestId": "req-7", "HTTPStatusCode": status},
        },
        "ListJobRuns",
    )


@pytest.mark.parametrize(
    ("code", "status", "ours"),
    [
        ("UnauthorizedException", 401, ErrorCode.FORBIDDEN),
        ("AccessDeniedException", 403, ErrorCode.FORBIDDEN),
        ("ResourceNotFoundException", 404, ErrorCode.NOT_FOUND),
        ("ThrottlingException", 429, ErrorCode.THROTTLED),
        ("ValidationException", 400, ErrorCode.BAD_USER_INPUT),
        ("InternalServerException", 500, ErrorCode.UPSTREAM_UNAVAILABLE),
    ],
)
async def test_every_datazone_error_maps_into_the_one_table(
    code: str, status: int, ours: ErrorCode
) -> None:
    source = SourceConfig(name="dz", provider="datazone", region="us-east-1", domain_id="dzd_abc")
    provider = DataZoneProvider(source, LimitsConfig(), asyncio.Semaphore(1))

    async def client() -> Any:
        return object()

    async def invoke(_: Any) -> dict[str, Any]:
        raise _client_error(code, status)

    provider.wire.client = client  # type: ignore[method-assign]
    with pytest.raises(Exception) as err:
        await provider.wire.call("ListJobRuns", invoke)
    assert err.value.extensions == {  # type: ignore[attr-defined]
        "code": ours.value,
        "source": "dz",
        "provider": "DATAZONE",
        "upstreamCode": code,
        "requestId": "req-7",
    }


@pytest.mark.parametrize(
    ("job", "page"),
    [
        ("bad job!", {"first": 5}),
        ("x" * 37, {"first": 5}),
        ("okjob", {"first": 0}),
        ("okjob", {"first": 5, "last": 5}),
    ],
)
async def test_bad_input_is_refused_before_any_upstream_call(
    gateway: Gateway, job: str, page: dict[str, Any]
) -> None:
    body = await _runs(gateway, job, **page)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert gateway.calls() == {}


@pytest.mark.parametrize("args", ['status: "DONE", first: 5', 'sortOrder: "SIDEWAYS", first: 5'])
async def test_bad_filters_are_refused_before_any_upstream_call(
    gateway: Gateway, args: str
) -> None:
    body = await gateway.query(
        f'{{ dataZoneJob(source: "datazone", id: "okjob") {{ runs({args}) {{ totalCount }} }} }}'
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert gateway.calls() == {}


async def test_a_run_id_of_the_wrong_shape_is_bad_input(gateway: Gateway) -> None:
    gid = global_id("DataZoneJobRun", "datazone", "not/a run")
    body = await gateway.query("query($id: ID!) { node(id: $id) { id } }", id=gid)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert gateway.calls() == {}
