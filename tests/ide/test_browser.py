"""GraphiQL in a real headless Chromium with everything off 127.0.0.1 blocked.

The page must load from the gateway alone, run its preloaded tree query and show run data, and
run a subscription over the WebSocket. Screenshots are kept in artifacts/ for people to look at.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.async_api import Page, Route, async_playwright, expect

from gateway.app import create_app
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id
from tests.conftest import HO_SOURCE, Upstreams, settings_for
from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
TIMEOUT_MS = 30_000


def loopback(url: str) -> bool:
    return urlsplit(url).hostname == "127.0.0.1"


class Browser:
    """A page whose every request off loopback is aborted and recorded, with its console."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.blocked: list[str] = []
        self.sockets: list[str] = []
        self.errors: list[str] = []

    async def guard(self) -> None:
        async def http(route: Route) -> None:
            if loopback(route.request.url):
                await route.continue_()
            else:
                self.blocked.append(route.request.url)
                await route.abort()

        await self.page.route("**/*", http)
        # WebSockets are not routed (Playwright's WebSocket proxy alters the subprotocol
        # handshake): every one opened is recorded instead and must be the gateway's.
        self.page.on("websocket", lambda ws: self.sockets.append(ws.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    async def run_query(self) -> None:
        await self.page.click(".graphiql-execute-button")


@pytest.fixture(scope="module")
def served(upstreams: Upstreams) -> Iterator[str]:
    settings = settings_for(upstreams.url, graphql={"playground": True, "introspection": True})
    with LoopbackServer(create_app(settings)) as server:
        yield server.url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is needed: scripts/test.sh installs it"
    async with async_playwright() as p:
        chromium = await p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = await chromium.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        b = Browser(page)
        await b.guard()
        try:
            yield b
        finally:
            await chromium.close()


async def test_graphiql_runs_the_preloaded_tree_query_offline(
    browser: Browser, served: str, upstreams: Upstreams
) -> None:
    ho = upstreams.emulator.healthomics
    batch = ho.batches(status="PROCESSED")[0]
    runs = [s["runId"] for s in ho.runs_in_batch(batch["id"]) if s["runId"]][:5]
    assert runs, "the newest processed batch has runs"
    page = browser.page

    response = await page.goto(served + "/graphql")
    assert response is not None and response.status == 200
    await expect(page.locator(".graphiql-query-editor")).to_contain_text(
        f'batches(source: "{HO_SOURCE}", status: "PROCESSED", first: 1)'
    )
    await browser.run_query()
    result = page.locator(".result-window")
    await expect(result).to_contain_text(f'"name": "{batch["name"]}"')
    # The result pane renders only what is in view: the batch, its first run and task.
    await expect(result).to_contain_text(f'"name": "{ho.run(runs[0])["name"]}"')
    await expect(result).to_contain_text(f'"name": "{ho.tasks(runs[0])[0]["name"]}"')
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "graphiql.png"))

    assert browser.blocked == [], "the page must not reach beyond the gateway"
    assert all(loopback(url) for url in browser.sockets)
    assert browser.errors == []


async def test_graphiql_runs_a_subscription_over_websocket(
    browser: Browser, served: str, upstreams: Upstreams
) -> None:
    ho = upstreams.emulator.healthomics
    run: dict[str, Any] = next(r for r in ho.all_runs() if r["status"] == "COMPLETED")
    gid = global_id("HealthOmicsRun", HO_SOURCE, run["id"])
    query = f'subscription Live {{ runUpdated(id: "{gid}") {{ name status state }} }}'
    page = browser.page

    await page.goto(f"{served}/graphql?q={quote(query)}")
    await expect(page.locator(".graphiql-query-editor")).to_contain_text("runUpdated")
    await browser.run_query()
    result = page.locator(".result-window")
    await expect(result).to_contain_text(f'"name": "{run["name"]}"')
    await expect(result).to_contain_text('"state": "SUCCEEDED"')
    await page.screenshot(path=str(ARTIFACTS / "graphiql-subscription.png"))

    assert browser.sockets == [served.replace("http://", "ws://") + "/graphql"]
    assert browser.blocked == []
    assert browser.errors == []
