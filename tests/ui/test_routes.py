"""The dashboard's routes: on only with `[ui] enabled`, every response under a strict CSP."""

from __future__ import annotations

import httpx

from gateway.app import create_app
from tests.conftest import Upstreams, settings_for


def client(upstreams: Upstreams, enabled: bool) -> httpx.AsyncClient:
    app = create_app(settings_for(upstreams.url, ui={"enabled": enabled}))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")


async def test_the_page_and_its_modules_carry_a_csp_without_inline_script(
    upstreams: Upstreams,
) -> None:
    async with client(upstreams, True) as c:
        moved = await c.get("/ui")
        assert moved.status_code == 308 and moved.headers["location"] == "/ui/"
        page = await c.get("/ui/")
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp
        assert "default-src 'none'" in csp and "connect-src 'self'" in csp
        assert '<script type="module" src="static/app.js"></script>' in page.text
        assert "<script>" not in page.text and " style=" not in page.text
        module = await c.get("/ui/static/app.js")
        assert module.status_code == 200
        assert module.headers["content-type"].startswith("text/javascript")
        assert module.headers["x-content-type-options"] == "nosniff"
        assert module.headers["content-security-policy"] == csp


async def test_no_dashboard_unless_enabled(upstreams: Upstreams) -> None:
    async with client(upstreams, False) as c:
        assert (await c.get("/ui/")).status_code == 404
        assert (await c.get("/ui/static/app.js")).status_code == 404


def test_no_module_writes_html_from_strings() -> None:
    """Upstream strings reach the page as text nodes only: no innerHTML and friends."""
    from gateway.ui.routes import STATIC

    for path in STATIC.rglob("*.js"):
        code = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in code, f"{path.name} uses {sink}"
