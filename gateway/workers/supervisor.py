"""The parent of `gateway serve --workers N`: uvicorn's own multiprocess supervisor.

uvicorn's supervisor (`uvicorn.supervisors.Multiprocess`) spawns N workers: it restarts a
worker that dies, pings each for health, and on SIGTERM/SIGINT sends each worker SIGTERM, so
each finishes its in-flight requests within `[limits] shutdown_grace_seconds` and the parent
exits 0 once all are gone. We use it rather than our own fork loop: it is the server we already
run, with those behaviours tested upstream. Three things are ours: each worker listens on a
socket of its own, so the kernel shares connections out (gateway/workers/accept.py); the private
prometheus-client multiprocess directory (made here, removed on exit); and telling
prometheus-client when a worker is gone (`mark_process_dead`, so its live gauges stop
counting), which the supervisor has no hook for, hence the subclass.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from typing import Any

from prometheus_client.multiprocess import mark_process_dead
from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess

from gateway.config import Settings
from gateway.observability.metrics import MULTIPROC_ENV
from gateway.workers.accept import LOOP, hold_port
from gateway.workers.worker import WorkerApp

#: How long a worker may take to answer the supervisor's ping before it is killed as hung and
#: replaced. uvicorn's 5 s killed workers still importing the app on a busy 2-core host; longer
#: also delays noticing a worker that died while a ping to it was pending (and SIGTERM then).
HEALTHCHECK_SECONDS = 15


def refusal(settings: Settings, workers: int) -> str | None:
    """Why `workers` processes cannot serve `settings` (None when they can).

    Workers are replicas on one host: each must open the others' cursors (one key ring) and find
    their upstream tokens, draw from one rate budget, and elect one poller per watched object
    (Redis leases). The catalogue needs nothing more: its sync leases live in its own database,
    which every worker opens.
    """
    if workers <= 1:
        return None
    missing = []
    if settings.cache.url is None:
        missing.append(
            "[cache] url (Redis: the cursor token store, the shared upstream rate budget and "
            "the live pollers' leases)"
        )
    if not settings.cursors.keys:
        missing.append("[cursors] keys (one key ring: a cursor from one worker opens on another)")
    if not missing:
        return None
    return (
        f"--workers {workers} needs state the workers share; configure "
        + " and ".join(missing)
        + ", or serve with --workers 1"
    )


class Supervisor(Multiprocess):
    """uvicorn's supervisor, telling prometheus-client of each worker that is gone."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self._known: set[int] = set()

    def _forget_gone(self) -> None:
        current = {p.pid for p in self.processes if p.pid is not None}
        for pid in self._known - current:
            mark_process_dead(pid)  # type: ignore[no-untyped-call]
        self._known = current

    def init_processes(self) -> None:
        super().init_processes()
        self._forget_gone()

    def keep_subprocess_alive(self) -> None:  # a dead worker is replaced here
        super().keep_subprocess_alive()
        self._forget_gone()

    def handle_signals(self) -> None:  # SIGHUP restarts and SIGTTOU retires workers
        super().handle_signals()
        self._forget_gone()

    def failed_to_start(self) -> bool:
        return any(p.exitcode == STARTUP_FAILURE for p in self.processes)


def run_workers(settings: Settings, workers: int, **uvicorn_options: Any) -> int:
    """Serve with `workers` processes until SIGTERM/SIGINT: 0 then, 3 if one failed to start."""
    metrics_dir = tempfile.mkdtemp(prefix="gateway-metrics-")
    previous = os.environ.get(MULTIPROC_ENV)
    # Inherited by every spawned worker before it imports prometheus-client.
    os.environ[MULTIPROC_ENV] = metrics_dir
    try:
        config = Config(
            WorkerApp(settings, workers),
            factory=True,
            workers=workers,
            timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
            **{**uvicorn_options, "loop": LOOP},  # each worker listens on its own socket
        )
        sock = hold_port(config.host, config.port)
        supervisor = Supervisor(config, [sock])
        try:
            supervisor.run()
        finally:
            sock.close()
        return STARTUP_FAILURE if supervisor.failed_to_start() else 0
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = previous
        shutil.rmtree(metrics_dir, ignore_errors=True)
