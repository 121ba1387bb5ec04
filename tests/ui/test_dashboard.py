"""The dashboard in Debian's chromium against a demo-like gateway: each view shows what the API
answers, filters and paging work (pages held are not fetched again), the timeline has one bar
per task, the log pane pages back, the live view follows the emulator's clock, and axe-core
finds no serious or critical violation. Screenshots of every view go to build/artifacts/ui/."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from gateway.graph.ids import global_id
from tests.conftest import HO_SOURCE, Upstreams
from tests.ui.browser import ZONE, chromium
from tests.ui.served import Served, dashboard, token

RUNS_PAGE = """query($after: String, $before: String, $first: Int, $last: Int, $filter: RunFilter, $orderBy: RunOrder) {
  searchRuns(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { startCursor endCursor } edges { node { id } } } }"""


@pytest.fixture(scope="module")
def served(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    # `upstreams` sets the emulator's credentials in the environment; this gateway has its own.
    with dashboard(Path(tmp_path_factory.mktemp("ui"))) as s:
        yield s


def ids(conn: dict[str, Any]) -> list[str]:
    return [e["node"]["id"] for e in conn["edges"]]


async def shown_ids(tab: Any) -> list[str]:
    rows = tab.page.locator("table.runs tbody tr")
    return [str(await rows.nth(i).get_attribute("data-id")) for i in range(await rows.count())]


async def test_overview_signs_in_and_shows_each_source_runs_by_state(served: Served) -> None:
    stats = served.query("{ runStats(groupBy: [SOURCE, STATE]) { source state count } }")
    sync = served.query("{ catalog { sources { source lastSweepAt } } }")
    async with chromium(served.url, None) as tab:
        await tab.open("#/overview")
        page = tab.page
        await expect(page.locator("form.signin")).to_contain_text("needs a credential")
        # Chromium logs the refused query (401) itself; that is the sign-in form's cause.
        assert tab.errors == [
            "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
        ]
        tab.errors.clear()
        await page.fill("#cred-value", served.full)
        await page.select_option("#cred-kind", "token")
        await page.keyboard.press("Enter")
        await tab.settled()
        for source in {g["source"] for g in stats["runStats"]}:
            card = page.locator(f"section.card[data-source='{source}']")
            mine = [g for g in stats["runStats"] if g["source"] == source]
            total = sum(g["count"] for g in mine)
            await expect(card.locator(".total")).to_have_text(str(total))
            for g in mine:
                item = card.locator(f".legend li[data-state='{g['state']}']")
                await expect(item).to_have_attribute("data-count", str(g["count"]))
            swept = next(s for s in sync["catalog"]["sources"] if s["source"] == source)
            shown = card.locator(".sync time")
            assert await shown.get_attribute("datetime") == swept["lastSweepAt"]
            at = datetime.fromisoformat(swept["lastSweepAt"])
            assert (
                await shown.get_attribute("title") == f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
            )
            local = at.astimezone(ZoneInfo(ZONE))
            hour = local.strftime("%I").lstrip("0")
            assert " ".join((await shown.inner_text()).split()) == (
                f"{local:%b} {local.day}, {local.year}, {hour}:{local:%M:%S %p}"
            )
        await tab.check("overview")
        tab.assert_clean()
    # A narrower credential sees only its own source.
    async with chromium(served.url, served.narrow) as tab:
        await tab.open("#/overview")
        await tab.settled()
        await expect(tab.page.locator("section.card")).to_have_count(1)
        await expect(tab.page.locator("section.card")).to_have_attribute("data-source", HO_SOURCE)
        tab.assert_clean()


async def test_an_expired_token_says_so(served: Served) -> None:
    async with chromium(served.url, token(ttl=-3600)) as tab:
        await tab.open("#/runs")
        await expect(tab.page.locator("form.signin [role=alert]")).to_contain_text("expired")
        assert tab.blocked == []
        # The live view's socket is refused too (in connection_init), and asks again.
        run = served.emulator.healthomics.all_runs()[0]
        await tab.go(f"#/live/{global_id('HealthOmicsRun', HO_SOURCE, run['id'])}")
        await expect(tab.page.locator("form.signin [role=alert]")).to_contain_text("refused")


async def test_runs_pages_both_ways_without_fetching_a_page_twice(served: Served) -> None:
    first = served.query(RUNS_PAGE, first=10)["searchRuns"]
    second = served.query(RUNS_PAGE, first=10, after=first["pageInfo"]["endCursor"])["searchRuns"]
    async with chromium(served.url, served.full) as tab:
        await tab.open("#/runs?size=10")
        await tab.settled()
        page = tab.page
        assert await shown_ids(tab) == ids(first)
        await expect(page.locator(".pager .count")).to_have_text(f"{first['totalCount']} runs")
        await page.click("a[data-page=next]")
        await expect(page.locator("table.runs tbody tr").first).to_have_attribute(
            "data-id", ids(second)[0]
        )
        assert await shown_ids(tab) == ids(second)
        asked = len(tab.queries)
        await page.click("a[data-page=prev]")
        await expect(page.locator("table.runs tbody tr").first).to_have_attribute(
            "data-id", ids(first)[0]
        )
        await page.click("a[data-page=next]")
        await expect(page.locator("table.runs tbody tr").first).to_have_attribute(
            "data-id", ids(second)[0]
        )
        assert len(tab.queries) == asked, "pages already held are not fetched again"
        await tab.check("runs")
        tab.assert_clean()
    # Opened on page two from its URL, it pages back with a real `last/before` request.
    async with chromium(served.url, served.full) as tab:
        await tab.open(f"#/runs?size=10&after={first['pageInfo']['endCursor']}")
        await tab.settled()
        assert await shown_ids(tab) == ids(second)
        await tab.page.click("a[data-page=prev]")
        await expect(tab.page.locator("table.runs tbody tr").first).to_have_attribute(
            "data-id", ids(first)[0]
        )
        assert await shown_ids(tab) == ids(first)
        assert tab.queries[-1]["variables"]["last"] == 10
        tab.assert_clean()


async def test_runs_filters_and_sorting_live_in_the_url(served: Served) -> None:
    failed = served.query(RUNS_PAGE, first=25, filter={"states": ["FAILED"]})["searchRuns"]
    by_name = served.query(
        RUNS_PAGE,
        first=25,
        filter={"states": ["FAILED"]},
        orderBy={"field": "NAME", "direction": "DESC"},
    )["searchRuns"]
    async with chromium(served.url, served.full) as tab:
        await tab.open("#/runs")
        await tab.settled()
        page = tab.page
        await page.select_option("#f-state", "FAILED")
        await page.click(".filters button[type=submit]")
        await expect(page.locator(".pager .count")).to_have_text(f"{failed['totalCount']} runs")
        assert "state=FAILED" in page.url
        assert await shown_ids(tab) == ids(failed)
        await page.click("th a[data-sort=NAME]")
        await expect(page.locator("th[aria-sort=descending] a")).to_have_attribute(
            "data-sort", "NAME"
        )
        assert "sort=NAME" in page.url and "state=FAILED" in page.url
        assert await shown_ids(tab) == ids(by_name)
        # The URL alone restores the view (it can be shared).
        await page.reload()
        await tab.settled()
        assert await shown_ids(tab) == ids(by_name)
        tab.assert_clean()


BATCH = """query($id: ID!) { node(id: $id) { ... on HealthOmicsBatch {
  cost { totalUsd }
  runs(first: 100) { edges { node { id state } submission { submissionStatus } } } } } }"""
EXCERPTS = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on HealthOmicsRun {
  tasks(first: 3, status: "FAILED") { edges { node { errorExcerpt } } } } } }"""
TASKS = """query($id: ID!, $after: String) { node(id: $id) { ... on Run {
  tasks(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
    edges { node { id state } } } } } }"""
TASK = """query($id: ID!) { node(id: $id) { ... on HealthOmicsTask {
  usage { cpusReserved memoryReservedGiB } recommendation { instanceType } } } }"""
LOG = """query($id: ID!, $before: String) { node(id: $id) { ... on HealthOmicsTask {
  logs(last: 50, before: $before) { pageInfo { startCursor } edges { node { message } } } } } }"""


def usd(value: float) -> str:
    return f"${value:.4f}" if value < 1 else f"${value:.2f}"


def failed_run(served: Served) -> tuple[str, str]:
    """A processed HealthOmics batch holding a run that failed: (batch id, run id)."""
    ho = served.emulator.healthomics
    for batch in ho.batches(status="PROCESSED"):
        for sub in ho.runs_in_batch(batch["id"]):
            if sub["runId"] and ho.run(sub["runId"])["status"] == "FAILED":
                return batch["id"], sub["runId"]
    raise AssertionError("the emulator has a processed batch with a failed run")


async def test_batch_shows_progress_cost_and_failed_runs_first(served: Served) -> None:
    batch_id, run_id = failed_run(served)
    gid = global_id("HealthOmicsBatch", HO_SOURCE, batch_id)
    node = served.query(BATCH, id=gid)["node"]
    edges = node["runs"]["edges"]
    counts = Counter(e["node"]["state"] if e["node"] else "SUBMISSION_FAILED" for e in edges)
    failed_gid = global_id("HealthOmicsRun", HO_SOURCE, run_id)
    excerpt = served.query(EXCERPTS, ids=[failed_gid])["nodes"][0]["tasks"]["edges"]
    last_line = excerpt[-1]["node"]["errorExcerpt"][-1]
    async with chromium(served.url, served.full) as tab:
        await tab.open(f"#/batch/{gid}")
        await tab.settled()
        page = tab.page
        await expect(page.locator("dd[data-runs]")).to_have_attribute("data-runs", str(len(edges)))
        for state, n in counts.items():
            item = page.locator(f".legend li[data-state='{state}']")
            await expect(item).to_have_attribute("data-count", str(n))
        await expect(page.locator("dd.cost")).to_contain_text(usd(node["cost"]["totalUsd"]))
        rows = page.locator("table.batch-runs tbody tr[data-state]")
        await expect(rows).to_have_count(len(edges))
        states = [await rows.nth(i).get_attribute("data-state") for i in range(len(edges))]
        bad = {"FAILED", "SUBMISSION_FAILED"}
        n_bad = sum(1 for s in states if s in bad)
        assert n_bad and all(s in bad for s in states[:n_bad]), states
        await expect(page.locator("table.batch-runs")).to_contain_text(last_line)
        await tab.check("batch")
        tab.assert_clean()


async def test_run_timeline_usage_and_a_log_paged_back(served: Served) -> None:
    _, run_id = failed_run(served)
    gid = global_id("HealthOmicsRun", HO_SOURCE, run_id)
    tasks: list[dict[str, Any]] = []
    after = None
    while True:
        conn = served.query(TASKS, id=gid, after=after)["node"]["tasks"]
        tasks += [e["node"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    first = tasks[0]["id"]
    detail = served.query(TASK, id=first)["node"]
    tail = served.query(LOG, id=first)["node"]["logs"]
    before = served.query(LOG, id=first, before=tail["pageInfo"]["startCursor"])["node"]["logs"]
    tail_lines = [e["node"]["message"] for e in tail["edges"]]
    earlier_lines = [e["node"]["message"] for e in before["edges"]]
    assert earlier_lines, "the first task's log is longer than one page"
    async with chromium(served.url, served.full) as tab:
        await tab.open(f"#/run/{gid}")
        await tab.settled()
        page = tab.page
        await expect(page.locator(".gantt li.task")).to_have_count(len(tasks))
        await expect(page.locator(".gantt .track .run")).to_have_count(
            sum(1 for t in tasks if t["state"] != "QUEUED")
        )
        failed = sum(1 for t in tasks if t["state"] == "FAILED")
        assert failed
        await expect(page.locator(".gantt .mark.failed")).to_have_count(failed)
        # From the keyboard: each bar's label is a button.
        await page.locator(f"li.task[data-task='{first}'] button.label").focus()
        await page.keyboard.press("Enter")
        usage = page.locator(".detail .usage")
        await expect(usage).to_contain_text(f"of {detail['usage']['cpusReserved']:g} vCPU reserved")
        await expect(usage).to_contain_text(
            f"of {detail['usage']['memoryReservedGiB']:g} GiB reserved"
        )
        await expect(page.locator(".recommendation")).to_contain_text(
            detail["recommendation"]["instanceType"]
        )
        lines = page.locator(".log-lines li .msg")
        await expect(lines).to_have_count(len(tail_lines))
        assert await lines.all_text_contents() == tail_lines
        await page.click("button[data-log=earlier]")
        await expect(lines).to_have_count(len(earlier_lines) + len(tail_lines))
        assert await lines.all_text_contents() == earlier_lines + tail_lines
        await tab.check("run")
        tab.assert_clean()


async def test_live_view_follows_the_run_as_the_clock_moves(served: Served) -> None:
    # Last in this module: it moves the emulator's clock.
    ho = served.emulator.healthomics
    run = next(r for r in ho.all_runs() if r["status"] == "RUNNING")
    gid = global_id("HealthOmicsRun", HO_SOURCE, run["id"])
    finish = ho.run_plan(run["id"]).finish
    async with chromium(served.url, served.full) as tab:
        await tab.open(f"#/live/{gid}")
        page = tab.page
        events = page.locator("ol.events li")
        await expect(events.first).to_have_attribute("data-state", "RUNNING")
        await expect(page.locator(".view")).to_have_attribute("data-updates", "1")
        await expect(page.locator(".gantt")).to_be_visible()
        await page.evaluate("() => { window.sameDocument = true }")
        await tab.check("live")
        served.advance_clock((finish - served.emulator.clock.now()).total_seconds() + 600)
        await expect(events.last).to_have_attribute("data-state", "SUCCEEDED")
        await expect(page.locator(".live-status")).to_contain_text("settled")
        await expect(page.locator("[data-field=state]")).to_contain_text("COMPLETED")
        assert await page.evaluate("() => window.sameDocument") is True, "no reload"
        tab.assert_clean()
