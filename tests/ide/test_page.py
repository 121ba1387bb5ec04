"""GET /graphql as a browser asks for it: our own GraphiQL page, every asset from this origin."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.clouds.registry import DEFAULT_CLOUDS
from gateway.ide import assets
from gateway.ide.page import example_query
from tests.conftest import HO_SOURCE, Gateway, Upstreams, open_gateway, settings_for

HTML = {"Accept": "text/html"}


@pytest.fixture
async def ide(upstreams: Upstreams) -> AsyncIterator[Gateway]:
    settings = settings_for(upstreams.url, graphql={"playground": True, "introspection": True})
    async for gw in open_gateway(upstreams, settings):
        yield gw


def referenced(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


async def test_page_loads_only_the_gateways_own_assets(ide: Gateway) -> None:
    assert assets.missing() == [], "run `gateway assets` (scripts/test.sh does)"
    resp = await ide.client.get("/graphql", headers=HTML)
    assert resp.status_code == 200
    page = resp.text
    urls = [u for u in referenced(page) if u != "data:,"]
    assert len(urls) == 7
    assert all(u.startswith("graphiql/vendor/") for u in urls), urls
    assert "unpkg" not in page and "cdn" not in page.lower()
    for url in urls:
        served = await ide.client.get("/" + url)
        assert served.status_code == 200, url
        installed = assets.VENDOR_DIR / url.removeprefix("graphiql/vendor/")
        assert served.content == installed.read_bytes(), url
    csp = resp.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None and f'nonce="{nonce.group(1)}"' in page


async def test_page_preloads_a_tree_query_of_the_first_source(ide: Gateway) -> None:
    page = (await ide.client.get("/graphql", headers=HTML)).text
    assert f'batches(source: \\"{HO_SOURCE}\\", status: \\"PROCESSED\\", first: 1)' in page
    assert "subscriptionUrl" in page
    # The preloaded query is valid against the schema and answers with data.
    data = await ide.data(example_query(ide.app.state.settings, DEFAULT_CLOUDS))
    assert data["batches"]["edges"][0]["node"]["name"]


async def test_missing_assets_page_says_what_to_run(upstreams: Upstreams, tmp_path: Path) -> None:
    graphql = {"playground": True, "introspection": True, "assets_dir": str(tmp_path / "x")}
    async for gw in open_gateway(upstreams, settings_for(upstreams.url, graphql=graphql)):
        resp = await gw.client.get("/graphql", headers=HTML)
        assert resp.status_code == 503
        assert "<pre>gateway assets</pre>" in resp.text
        assert "graphiql@3.8.3/graphiql.min.js" in resp.text
        # GraphQL itself still answers.
        sources = (await gw.data("{ sources { name } }"))["sources"]
        assert {"name": HO_SOURCE} in sources


async def test_no_page_without_playground(gateway: Gateway) -> None:
    resp = await gateway.client.get("/graphql", headers=HTML)
    assert resp.status_code == 404
    vendor = await gateway.client.get("/graphiql/vendor/graphiql@3.8.3/graphiql.min.js")
    assert vendor.status_code == 404
