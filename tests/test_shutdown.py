"""SIGTERM lets an in-flight query finish (within the configured bound), then the process exits."""

from __future__ import annotations

import re
import signal
import threading
import time
from typing import Any

import httpx

from tests.demo_process import demo


def test_sigterm_lets_the_in_flight_query_finish() -> None:
    with demo() as running:
        emulator = re.search(r"embedded emulator at (http://127\.0\.0\.1:\d+)", running.output)
        batch = re.search(r'id: "(\d+)"', running.output)
        assert emulator and batch, running.output
        # A slow upstream: the query is still in flight when SIGTERM arrives.
        slow = {"service": "omics", "operation": "GetBatch", "latency_ms": 1500}
        httpx.put(f"{emulator.group(1)}/_emulator/faults", json=slow, timeout=10)
        result: dict[str, Any] = {}

        def ask() -> None:
            query = f'{{ batch(source: "aws-demo", id: "{batch.group(1)}") {{ name status }} }}'
            resp = httpx.post(running.url, json={"query": query}, timeout=30)
            result["status"] = resp.status_code
            result["body"] = resp.json()

        asker = threading.Thread(target=ask)
        asker.start()
        time.sleep(0.5)
        running.proc.send_signal(signal.SIGTERM)
        asker.join(timeout=30)
        assert result.get("status") == 200, result
        assert result["body"]["data"]["batch"]["name"], result["body"]
        # uvicorn re-raises the signal once it has shut down, so the exit status says SIGTERM.
        assert running.proc.wait(timeout=25) in (0, -signal.SIGTERM)
