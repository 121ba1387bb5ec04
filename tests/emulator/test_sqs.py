"""The emulator's SQS, driven by the real aiobotocore client: long polls, visibility by the
simulated clock, ChangeMessageVisibility, DeleteMessageBatch's per-entry failures, and the
EventBridge envelopes (and their drop/duplicate/reorder faults) HealthOmics' changes put in."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.healthomics.timeline import STARTING_S
from gateway.emulator.server import LoopbackServer


@pytest.fixture
def served() -> Iterator[tuple[Emulator, str]]:
    os.environ["AWS_ACCESS_KEY_ID"] = DEMO_ACCESS_KEY_ID
    os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_SECRET_ACCESS_KEY
    emu = create_emulator(seed=31, scale="small", quotas=False)
    with LoopbackServer(emu.app) as server:
        yield emu, server.url


@pytest.fixture
async def sqs(served: tuple[Emulator, str]) -> AsyncIterator[Any]:
    emu, url = served
    async with get_session().create_client(
        "sqs", region_name=emu.healthomics.region, endpoint_url=url
    ) as client:
        yield client


def next_change(emu: Emulator) -> None:
    """Moves the clock just past the next PENDING → STARTING instant of some run."""
    now = emu.clock.now()
    plans = [p for p in emu.healthomics.run_plans() if p.status(now) == "PENDING"]
    soonest = min(p.start - timedelta(seconds=STARTING_S) for p in plans)
    emu.clock.advance((soonest - now).total_seconds() + 1)


async def test_visibility_follows_the_simulated_clock(
    served: tuple[Emulator, str], sqs: Any
) -> None:
    emu, _ = served
    url = emu.event_queue_url
    await sqs.send_message(QueueUrl=url, MessageBody="hello")
    got = (await sqs.receive_message(QueueUrl=url, VisibilityTimeout=30))["Messages"]
    assert [m["Body"] for m in got] == ["hello"]
    assert "Messages" not in await sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    await sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=5
    )
    emu.clock.advance(6)
    again = (await sqs.receive_message(QueueUrl=url))["Messages"]
    assert again[0]["MessageId"] == got[0]["MessageId"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    entries = [
        {"Id": "stale", "ReceiptHandle": got[0]["ReceiptHandle"]},  # superseded by `again`
        {"Id": "now", "ReceiptHandle": again[0]["ReceiptHandle"]},
    ]
    answer = await sqs.delete_message_batch(QueueUrl=url, Entries=entries)
    assert answer["Successful"] == [{"Id": "now"}]
    assert [(f["Id"], f["Code"]) for f in answer["Failed"]] == [("stale", "ReceiptHandleIsInvalid")]
    with pytest.raises(ClientError) as err:
        await sqs.receive_message(QueueUrl=url + "-missing")
    assert err.value.response["Error"]["Code"] in (
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
    )


async def test_status_changes_arrive_as_eventbridge_envelopes(
    served: tuple[Emulator, str], sqs: Any
) -> None:
    emu, _ = served
    next_change(emu)
    envelopes = []
    while True:
        answer = await sqs.receive_message(QueueUrl=emu.event_queue_url, MaxNumberOfMessages=10)
        if "Messages" not in answer:
            break
        envelopes += [orjson.loads(m["Body"]) for m in answer["Messages"]]
    assert len(envelopes) == len(emu.events.emitted)  # type: ignore[union-attr]
    run_events = [
        e
        for e in envelopes
        if e["detail-type"] == "Run Status Change" and e["detail"]["status"] == "STARTING"
    ]
    assert run_events, envelopes
    event = run_events[0]
    assert event["source"] == "aws.omics" and event["account"] == emu.healthomics.account
    assert event["region"] == emu.healthomics.region
    run = emu.healthomics.run(event["detail"]["runId"])
    assert event["detail"]["status"] == run["status"] == "STARTING"
    assert event["detail"]["uuid"] == run["uuid"] and event["detail"]["arn"] == run["arn"]


async def test_delivery_faults_drop_duplicate_and_reorder(served: tuple[Emulator, str]) -> None:
    emu, _ = served
    assert emu.events is not None and emu.sqs is not None
    queue = emu.sqs.get(emu.event_queue_url)
    assert queue is not None
    emu.faults.configure("events", "*", drop_rate=1.0)
    next_change(emu)
    assert emu.events.emitted and len(queue) == 0
    emu.faults.configure("events", "*", drop_rate=0.0, duplicate_rate=1.0, reorder=True)
    before = len(emu.events.emitted)
    next_change(emu)
    made = emu.events.emitted[before:]
    delivered = [orjson.loads(m.body) for m in queue.receive(10, 30)]
    assert len(queue) == 2 * len(made)
    expected = [e for e in reversed(made) for _ in (0, 1)]
    assert delivered == expected[: len(delivered)]


async def test_a_queue_answers_only_its_own_accounts_credentials(
    served: tuple[Emulator, str], sqs: Any
) -> None:
    emu, _ = served
    assert emu.sqs is not None
    other = emu.sqs.create(emu.healthomics.region, emu.accounts[1], "elsewhere")
    with pytest.raises(ClientError) as refused:  # the demo credentials are the first account's
        await sqs.receive_message(QueueUrl=other.url, WaitTimeSeconds=0)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "Messages" not in await sqs.receive_message(
        QueueUrl=emu.event_queue_url, WaitTimeSeconds=0
    )
