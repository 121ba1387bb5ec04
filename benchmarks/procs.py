"""Processes the benchmarks run on loopback: the emulator, redis-server and gateway replicas.

Each runs in its own process so the gateway's measured time is its own, not shared with the
emulator's CPU under one GIL.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY

CURSOR_KEY = "benchmark-cursor-key-0001"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def demo_credentials() -> None:
    """The emulator checks real SigV4 signatures made with its fixed demo credentials."""
    os.environ["AWS_ACCESS_KEY_ID"] = DEMO_ACCESS_KEY_ID
    os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_SECRET_ACCESS_KEY
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)


def _wait(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up") from None
            time.sleep(0.05)


@contextmanager
def _process(
    argv: list[str], ready_url: str | None, env: dict[str, str] | None = None
) -> Iterator[None]:
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    try:
        if ready_url is not None:
            _wait(ready_url, proc)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class EmulatorControl:
    """The emulator's unsigned control API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + "/_emulator" + path,
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)

    def dataset(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/dataset")
        return result

    def fault(self, operation: str = "*", **settings: Any) -> None:
        self._call("PUT", "/faults", {"service": "omics", "operation": operation, **settings})

    def reset_faults(self) -> None:
        self._call("DELETE", "/faults")

    def preset(self, name: str) -> None:
        self._call("POST", "/faults/preset", {"name": name})

    def calls(self) -> dict[str, int]:
        counts: dict[str, int] = self._call("GET", "/calls")["counts"]
        return counts

    def clear_calls(self) -> None:
        self._call("DELETE", "/calls")


@contextmanager
def emulator_process(scale: str = "demo") -> Iterator[EmulatorControl]:
    """`gateway emulator` in its own process, quotas off."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "gateway", "emulator", "--port", str(port), "--scale", scale]
    with _process([*argv, "--no-quotas"], url + "/_emulator/dataset"):
        yield EmulatorControl(url)


@contextmanager
def redis_process() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with _process(argv, None):
        import redis

        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"


def toml_config(emulator_url: str, **sections: dict[str, Any]) -> str:
    """A gateway config over the emulator as TOML (values are simple: str, number, dict)."""

    def value(v: Any) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + " }"
        return json.dumps(v)

    lines = [
        "[[sources]]",
        'name = "aws"',
        'provider = "healthomics"',
        'region = "us-east-1"',
        f'endpoint_url = "{emulator_url}"',
        "[cursors]",
        f'keys = ["{CURSOR_KEY}"]',
    ]
    for name, keys in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {value(v)}" for k, v in keys.items())
    return "\n".join(lines) + "\n"


@contextmanager
def gateway_process(config: str) -> Iterator[str]:
    """`gateway serve --config` in its own process; yields its /graphql URL."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gateway.toml"
        path.write_text(config)
        argv = [
            sys.executable,
            "-m",
            "gateway",
            "serve",
            "--config",
            str(path),
            "--port",
            str(port),
        ]
        with _process(argv, f"http://127.0.0.1:{port}/readyz"):
            yield f"http://127.0.0.1:{port}/graphql"


def max_in_window(stamps: list[float], window: float = 1.0) -> int:
    """The most arrivals in any sliding window: where pacing jitter shows."""
    stamps = sorted(stamps)
    best, lo = 0, 0
    for hi, t in enumerate(stamps):
        while t - stamps[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best
