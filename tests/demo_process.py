"""`gateway serve --demo` as a real process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Demo:
    proc: subprocess.Popen[str]
    port: int
    output: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"


@contextmanager
def demo(*args: str, port: int | None = None, startup_timeout: float = 60.0) -> Iterator[Demo]:
    """Starts the demo (with extra CLI `args`), returns once uvicorn listens (with what it
    printed so far) or once the process has ended."""
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--demo", "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        out = ""
        deadline = time.monotonic() + startup_timeout
        while "Uvicorn running on" not in out and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            out += line
        yield Demo(proc, port, out)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
