"""`gateway serve --demo` starts the emulator and the gateway, prints the URL and a query that works."""

from __future__ import annotations

import re

import httpx

from tests.demo_process import demo


def test_demo_serves_the_printed_query() -> None:
    with demo() as running:
        out = running.output
        assert f"GraphiQL at {running.url}" in out, out
        query = out[out.index("query Tree") : out.rindex("}") + 1]
        assert re.search(r'id: "(\d+)"', query), query
        body = httpx.post(running.url, json={"query": query}, timeout=30).json()
        assert "errors" not in body, body
        runs = body["data"]["batch"]["runs"]["edges"]
        assert runs and runs[0]["node"]["tasks"]["edges"]
        page = httpx.get(running.url, headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "graphiql" in page.text.lower()
