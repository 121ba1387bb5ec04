"""The app freezes the heap it started with (the collector stops walking the schema and the
clients on every pass) for as long as it runs, and unfreezes it at exit: a process that starts
many apps (tests, benchmarks) never keeps an old one's garbage."""

from __future__ import annotations

import gc

from gateway.app import create_app
from tests.conftest import Upstreams, settings_for


async def test_the_startup_heap_is_frozen_while_the_app_runs(upstreams: Upstreams) -> None:
    gc.unfreeze()
    app = create_app(settings_for(upstreams.url))
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 0
        garbage: list[object] = []
        garbage.append(garbage)  # a cycle made after startup is still collected
        del garbage
        assert gc.collect() >= 1
    assert gc.get_freeze_count() == 0
