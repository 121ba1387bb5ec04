"""Gateway replicas as real processes (`gateway serve`), configured through GATEWAY_* env."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from tests.demo_process import ROOT, free_port


@dataclass
class Replica:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _env(settings: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        AWS_ACCESS_KEY_ID=DEMO_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=DEMO_SECRET_ACCESS_KEY,
        PYTHONUNBUFFERED="1",
    )
    for section, value in settings.items():
        env[f"GATEWAY_{section.upper()}"] = json.dumps(value)
    return env


def _start(settings: dict[str, Any]) -> Replica:
    port = free_port()
    with tempfile.NamedTemporaryFile("wb", suffix=".log", delete=False) as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
            cwd=ROOT,
            env=_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Replica(proc, port, Path(log.name))


def _wait_ready(rep: Replica, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert rep.proc.poll() is None, rep.output()
        assert time.monotonic() < deadline, rep.output()
        try:
            if httpx.get(f"http://127.0.0.1:{rep.port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)


def _stop(rep: Replica) -> None:
    if rep.proc.poll() is None:
        rep.proc.kill()
    rep.proc.wait()
    rep.log.unlink(missing_ok=True)


@contextmanager
def replicas(
    settings: dict[str, Any], n: int, startup_timeout: float = 60.0
) -> Iterator[list[Replica]]:
    """`n` `gateway serve` processes started together; killed on exit."""
    started = [_start(settings) for _ in range(n)]
    try:
        for rep in started:
            _wait_ready(rep, startup_timeout)
        yield started
    finally:
        for rep in started:
            _stop(rep)
