"""SIGTERM lets an in-flight query finish (within the configured bound), then the process exits."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigterm_lets_the_in_flight_query_finish() -> None:
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
        out = ""
        deadline = time.monotonic() + 60
        while "Application startup complete" not in out and time.monotonic() < deadline:
            out += proc.stdout.readline()
        emulator = re.search(r"embedded emulator at (http://127\.0\.0\.1:\d+)", out)
        batch = re.search(r'id: "(\d+)"', out)
        assert emulator and batch, out
        # A slow upstream: the query is still in flight when SIGTERM arrives.
        slow = {"service": "omics", "operation": "GetBatch", "latency_ms": 1500}
        httpx.put(f"{emulator.group(1)}/_emulator/faults", json=slow, timeout=10)
        result: dict[str, Any] = {}

        def ask() -> None:
            query = f'{{ batch(source: "aws-demo", id: "{batch.group(1)}") {{ name status }} }}'
            resp = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query}, timeout=30)
            result["status"] = resp.status_code
            result["body"] = resp.json()

        asker = threading.Thread(target=ask)
        asker.start()
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        asker.join(timeout=30)
        assert result.get("status") == 200, result
        assert result["body"]["data"]["batch"]["name"], result["body"]
        # uvicorn re-raises the signal once it has shut down, so the exit status says SIGTERM.
        assert proc.wait(timeout=25) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
