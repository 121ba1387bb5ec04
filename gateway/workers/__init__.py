"""`gateway serve --workers N`: N processes serving one port under uvicorn's supervisor, sharing
what must agree (cursors, tokens, rate budget, pollers, the catalogue) through Redis and the
catalogue's database, and one merged `/metrics`."""

from gateway.workers.supervisor import refusal, run_workers

__all__ = ["refusal", "run_workers"]
