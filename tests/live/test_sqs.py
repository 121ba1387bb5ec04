"""The push consumer's queue calls go through the guards every upstream call takes: the pacing
table's `sqs:` rows (ReceiveMessage is long-polled), the account's shared rate limiter, and
the reading source's own queue chosen over the shared one."""

from __future__ import annotations

from typing import Any

from gateway.clouds.healthomics.events import EVENTS
from gateway.config import DEFAULT_UPSTREAM_RATES, load_settings
from gateway.emulator.app import Emulator
from gateway.live.hub import Hub
from gateway.live.sqs import EventConsumer, QueueRead, queue_wire
from gateway.ratelimit import bucket_key
from tests.conftest import settings_for
from tests.live.test_events import emulator  # noqa: F401  (the fixture)


class Recorder:
    """A rate limiter that lets everything through and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, float]] = []

    async def acquire(self, key: str, rate: float, burst: float | None = None) -> float:
        self.asked.append((key, rate))
        return 0.0


def test_the_pacing_table_names_the_queue_calls() -> None:
    for op in ("ReceiveMessage", "DeleteMessageBatch", "ChangeMessageVisibility"):
        assert DEFAULT_UPSTREAM_RATES[f"sqs:{op}"] > 0


async def test_queue_calls_are_paced_by_the_sqs_rows(
    emulator: tuple[Emulator, str],  # noqa: F811
) -> None:
    emu, url = emulator
    ho = emu.healthomics
    source = {"name": "aws", "provider": "healthomics", "region": ho.region, "endpoint_url": url}
    settings = settings_for(
        url, sources=[source], events={"sqs_queue_url": emu.event_queue_url}, limits={}
    )
    consumer = EventConsumer(settings, None, Hub(1.0, 1.0), [EVENTS])
    [read] = consumer.queues()
    assert read == QueueRead(emu.event_queue_url, settings.sources[0], (settings.sources[0],))
    limiter = Recorder()
    wire = queue_wire(read, settings, limiter)  # type: ignore[arg-type]
    try:
        answer: Any = await wire.call(
            "ReceiveMessage",
            lambda c: c.receive_message(QueueUrl=read.url, WaitTimeSeconds=0),
        )
    finally:
        await wire.aclose()
    assert "Messages" not in answer or isinstance(answer["Messages"], list)
    headroom = settings.limits.upstream_rate_headroom
    rate = DEFAULT_UPSTREAM_RATES["sqs:ReceiveMessage"] * headroom
    assert limiter.asked == [(bucket_key("source:aws", "ReceiveMessage"), rate)]
    assert emu.calls.counts()["sqs:ReceiveMessage"] == 1


def test_a_sources_own_queue_is_read_with_its_credentials_and_the_shared_one_with_the_named() -> (
    None
):
    sources = [
        {"name": n, "provider": "healthomics", "region": "us-east-1", **extra}
        for n, extra in (
            ("a", {}),
            ("b", {"events_queue_url": "https://sqs.eu-west-1.amazonaws.com/2/own"}),
            ("c", {"role_arn": "arn:aws:iam::123456789012:role/r"}),
        )
    ]
    shared = "https://sqs.us-east-1.amazonaws.com/1/shared"
    settings = load_settings(None, sources=sources, events={"sqs_queue_url": shared, "source": "c"})
    by = {s.name: s for s in settings.sources}
    reads = EventConsumer(settings, None, Hub(1.0, 1.0), [EVENTS]).queues()
    assert reads == [
        QueueRead("https://sqs.eu-west-1.amazonaws.com/2/own", by["b"], (by["b"],)),
        QueueRead(shared, by["c"], (by["a"], by["c"])),
    ]
