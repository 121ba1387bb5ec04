"""Serve an ASGI app on loopback from a background thread, for tests and `gateway emulator`."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import uvicorn

from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY


class LoopbackServer:
    """Runs uvicorn in its own thread and event loop, so sync tests and other loops can call it.

    The socket is bound here (port 0 picks a free one) and handed to uvicorn, so `url` is known
    before the first request; the context manager waits until the server answers.
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        startup_timeout: float = 10.0,
        log_level: str = "warning",
    ) -> None:
        self._app = app
        self._startup_timeout = startup_timeout
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        config = uvicorn.Config(
            app,
            log_level=log_level,
            lifespan="auto",
            timeout_graceful_shutdown=1,
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._sock]))
        except BaseException as exc:  # surfaced to the starting thread
            self._error = exc

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self._run, name=f"loopback:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def run_forever(self) -> None:
        """Serve in the calling thread; uvicorn's own signal handling ends it cleanly."""
        self._server.run(sockets=[self._sock])
        self._sock.close()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=5)
        if self._thread.is_alive():  # a hung handler outlived the graceful window
            self._server.force_exit = True
            self._thread.join(timeout=5)
        self._thread = None
        self._sock.close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    host: str,
    port: int,
    seed: int,
    scale: str,
    quotas: bool,
    faults: Mapping[str, Any] | None = None,
) -> None:
    """Run the emulator in the foreground until SIGINT/SIGTERM; prints where and how to call it."""
    from gateway.emulator.app import create_emulator

    emulator = create_emulator(seed=seed, scale=scale, quotas=quotas)
    if faults:
        emulator.faults.apply_config(faults)
    srv = LoopbackServer(emulator.app, host=host, port=port, log_level="info")
    print(f"emulator listening on {srv.url} (seed={seed}, scale={scale}, quotas={quotas})")
    print(f"  AWS access key id: {DEMO_ACCESS_KEY_ID}")
    print(f"  AWS secret key:    {DEMO_SECRET_ACCESS_KEY}")
    print("  AWS region:        us-east-1 (HealthOmics and DataZone data live there)")
    print(f"  dataset:           {srv.url}/_emulator/dataset", flush=True)
    srv.run_forever()
