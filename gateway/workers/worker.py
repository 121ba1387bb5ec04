"""What each worker process runs: the settings the supervisor validated, built into the app.

uvicorn's supervisor starts workers with `multiprocessing`'s spawn (a fresh interpreter each), so
the app factory travels to them pickled: a module-level class holding the `Settings`, never a
closure. Each worker builds its own app (its own clients, caches, hub, catalogue loops).
This module stays light: a worker imports it before it answers the supervisor's pings.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from uvicorn.config import STARTUP_FAILURE

from gateway.config import Settings

if TYPE_CHECKING:
    from starlette.applications import Starlette

log = logging.getLogger("gateway")


def worker_settings(settings: Settings, workers: int) -> Settings:
    """`settings` as one of `workers` processes sees them: while Redis is unreachable each paces
    in-process at its share of the quota, so `[limits] replicas` (instances) × workers."""
    limits = settings.limits.model_copy(update={"replicas": settings.limits.replicas * workers})
    return settings.model_copy(update={"limits": limits})


@dataclass(frozen=True)
class WorkerApp:
    """The ASGI app factory uvicorn calls in each worker (`Config(factory=True)`)."""

    settings: Settings
    workers: int

    def __call__(self) -> Starlette:
        # Imported here, not at the top: a worker unpickles this class before it can answer
        # the supervisor's health pings, and the app's imports take seconds on a busy host.
        from gateway.app import create_app
        from gateway.observability.logs import configure_logging

        configure_logging(self.settings.observability)
        try:
            return create_app(worker_settings(self.settings, self.workers))
        except Exception:
            # uvicorn respawns a worker that dies of an ordinary error, forever; this exit code
            # tells its supervisor the app cannot start, so it stops instead.
            log.exception("gateway worker could not build its app")
            sys.exit(STARTUP_FAILURE)
