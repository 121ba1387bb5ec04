"""Debian's chromium under Playwright for the dashboard tests: every request off 127.0.0.1 is
aborted and recorded, console errors are collected, axe-core (pinned in tests/ui/js) is run on
demand, and screenshots of a view at both sizes go to build/artifacts/ui/ (not committed; the
README's copies in artifacts/ui/ are refreshed with `UI_SCREENSHOTS=artifacts/ui pytest tests/ui`)."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Page, Request, Route, async_playwright, expect

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
ROOT = Path(__file__).resolve().parents[2]
# Each run's screenshots differ by their times: kept out of the tree unless asked for.
ARTIFACTS = ROOT / os.environ.get("UI_SCREENSHOTS", "build/artifacts/ui")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000
# Assertions wait as long as page actions do (a shared machine can be slow; nothing here is timed).
expect.set_options(timeout=TIMEOUT_MS)
STORE = "runs-gateway.credential"
ZONE = "America/New_York"


def loopback(url: str) -> bool:
    return urlsplit(url).hostname == "127.0.0.1"


class Tab:
    """One page of the dashboard, with what it asked of the network and what went wrong."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.queries: list[dict[str, Any]] = []

    async def guard(self) -> None:
        async def http(route: Route) -> None:
            if loopback(route.request.url):
                await route.continue_()
            else:
                self.blocked.append(route.request.url)
                await route.abort()

        def sent(request: Request) -> None:
            if request.url.endswith("/graphql") and request.method == "POST":
                self.queries.append(json.loads(request.post_data or "{}"))

        await self.page.route("**/*", http)
        self.page.on("request", sent)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    async def open(self, hash_: str) -> None:
        await self.page.goto(f"{self.base}/ui/{hash_}")

    async def go(self, hash_: str) -> None:
        """Another view in the same document (the hash changes; nothing reloads)."""
        await self.page.evaluate("h => { location.hash = h }", hash_)

    async def settled(self) -> None:
        """Until no view shows a loading message."""
        await self.page.wait_for_selector("main .view")
        await self.page.wait_for_selector("main [role=status].state-msg", state="detached")

    async def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now."""
        # evaluate() runs through the DevTools protocol, which the page's CSP does not govern
        # (an injected <script> would be refused, as it should be).
        await self.page.evaluate(AXE.read_text())
        found: list[dict[str, Any]] = await self.page.evaluate(
            "async () => (await axe.run(document)).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))"
        )
        return found

    async def check(self, name: str) -> None:
        """Accessibility at both sizes and a screenshot of each, as a person would see it."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for size, label in ((WIDE, "wide"), (PHONE, "phone")):
            await self.page.set_viewport_size(size)
            await self.page.wait_for_timeout(100)  # one frame for the layout to settle
            found = await self.axe()
            assert found == [], f"{name} at {label}: {found}"
            await self.page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"))
        await self.page.set_viewport_size(WIDE)

    def assert_clean(self) -> None:
        assert self.blocked == [], "the dashboard must not reach beyond the gateway"
        assert self.errors == [], self.errors


@asynccontextmanager
async def chromium(base: str, credential: str | None) -> AsyncIterator[Tab]:
    """A fresh browser tab; with `credential` it is signed in already (sessionStorage)."""
    assert CHROMIUM.exists(), "Debian's chromium is needed: scripts/test.sh installs it"
    assert AXE.exists(), "axe-core is needed: npm ci in tests/ui/js (scripts/test.sh does it)"
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            # A zone far from UTC, so a test can tell local times from UTC ones.
            context = await browser.new_context(viewport=WIDE, locale="en-US", timezone_id=ZONE)
            if credential is not None:
                value = json.dumps({"kind": "token", "value": credential})
                await context.add_init_script(
                    f"sessionStorage.setItem({json.dumps(STORE)}, {json.dumps(value)})"
                )
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            tab = Tab(page, base)
            await tab.guard()
            yield tab
        finally:
            await browser.close()
