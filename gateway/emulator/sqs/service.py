"""The SQS operations the gateway's event consumer uses (plus SendMessage, for tests and
tools), answered over the JSON protocol with query-compatible errors."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from gateway.emulator.aws.json_protocol import JsonService
from gateway.emulator.aws.protocol import AwsCall, AwsError, Handler
from gateway.emulator.sqs.queues import Queue, QueueError, Queues

SERVICE = "sqs"
#: How often a long poll looks for messages while it waits (real time, not the sim clock).
_LONG_POLL_STEP = 0.05


class SqsService:
    def __init__(self, queues: Queues) -> None:
        self.queues = queues

    def _queue(self, call: AwsCall) -> Queue:
        url = str(call.params.get("QueueUrl", ""))
        queue = self.queues.get(url)
        if queue is None:
            raise AwsError("QueueDoesNotExist", "The specified queue does not exist.", 400)
        # A queue answers its own account's credentials only (no queue policies here).
        if call.account is not None and url.split("/")[-2] != call.account:
            raise AwsError("AccessDenied", f"Access to the resource {url} is denied.", 403)
        return queue

    async def receive_message(self, call: AwsCall) -> dict[str, Any]:
        queue = self._queue(call)
        p = call.params
        limit = int(p.get("MaxNumberOfMessages", 1))
        if not 1 <= limit <= 10:
            raise AwsError("InvalidParameterValue", "MaxNumberOfMessages must be 1 to 10.", 400)
        wait = int(p.get("WaitTimeSeconds", 0))
        if not 0 <= wait <= 20:
            raise AwsError("InvalidParameterValue", "WaitTimeSeconds must be 0 to 20.", 400)
        visibility = p.get("VisibilityTimeout")
        deadline = time.monotonic() + wait
        while True:
            got = queue.receive(limit, None if visibility is None else int(visibility))
            if got or time.monotonic() >= deadline:
                break
            await asyncio.sleep(_LONG_POLL_STEP)
        if not got:
            return {}  # `Messages` is absent when nothing arrived, as on SQS
        return {
            "Messages": [
                {
                    "MessageId": m.id,
                    "ReceiptHandle": m.receipt,
                    "MD5OfBody": m.md5,
                    "Body": m.body,
                    "Attributes": {
                        "ApproximateReceiveCount": str(m.receives),
                        "SentTimestamp": str(int(m.sent_at.timestamp() * 1000)),
                    },
                }
                for m in got
            ]
        }

    async def delete_message(self, call: AwsCall) -> dict[str, Any]:
        try:
            self._queue(call).delete(str(call.params["ReceiptHandle"]))
        except QueueError as exc:
            raise AwsError(exc.code, exc.message, 400) from None
        return {}

    async def delete_message_batch(self, call: AwsCall) -> dict[str, Any]:
        queue = self._queue(call)
        entries = call.params.get("Entries") or []
        if not entries:
            raise AwsError("EmptyBatchRequest", "There should be at least one entry.", 400)
        if len(entries) > 10:
            raise AwsError("TooManyEntriesInBatchRequest", "At most 10 entries.", 400)
        if len({e["Id"] for e in entries}) != len(entries):
            raise AwsError("BatchEntryIdsNotDistinct", "Entry ids must be distinct.", 400)
        ok, failed = [], []
        for entry in entries:
            try:
                queue.delete(str(entry["ReceiptHandle"]))
                ok.append({"Id": entry["Id"]})
            except QueueError as exc:
                failed.append(
                    {
                        "Id": entry["Id"],
                        "SenderFault": True,
                        "Code": exc.code,
                        "Message": exc.message,
                    }
                )
        return {"Successful": ok, "Failed": failed}

    async def change_message_visibility(self, call: AwsCall) -> dict[str, Any]:
        p = call.params
        seconds = int(p["VisibilityTimeout"])
        if not 0 <= seconds <= 43_200:
            raise AwsError("InvalidParameterValue", "VisibilityTimeout must be 0 to 43200.", 400)
        try:
            self._queue(call).change_visibility(str(p["ReceiptHandle"]), seconds)
        except QueueError as exc:
            raise AwsError(exc.code, exc.message, 400) from None
        return {}

    async def send_message(self, call: AwsCall) -> dict[str, Any]:
        message = self._queue(call).send(str(call.params["MessageBody"]))
        return {"MessageId": message.id, "MD5OfMessageBody": message.md5}

    @property
    def operations(self) -> dict[str, Handler]:
        return {
            "ReceiveMessage": self.receive_message,
            "DeleteMessage": self.delete_message,
            "DeleteMessageBatch": self.delete_message_batch,
            "ChangeMessageVisibility": self.change_message_visibility,
            "SendMessage": self.send_message,
        }

    def json_service(self) -> JsonService:
        return JsonService(SERVICE, self.operations)
