"""`gateway serve --demo` starts the emulator and the gateway, prints the URL and a query that works."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_serves_the_printed_query() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--demo", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Uvicorn running" in line or "Application startup complete" in line:
                break
        out = "".join(lines)
        url = f"http://127.0.0.1:{port}/graphql"
        assert f"GraphiQL at {url}" in out, out
        query = out[out.index("query Tree") : out.rindex("}") + 1]
        batch = re.search(r'id: "(\d+)"', query)
        assert batch, query
        resp = httpx.post(url, json={"query": query}, timeout=30)
        body = resp.json()
        assert "errors" not in body, body
        runs = body["data"]["batch"]["runs"]["edges"]
        assert runs and runs[0]["node"]["tasks"]["edges"]
        page = httpx.get(url, headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "graphiql" in page.text.lower()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
