"""SQS queues in memory: messages, receipt handles and visibility timeouts by the sim clock.

A received message stays invisible until its visibility timeout passes on the emulator's clock
(frozen unless advanced, like everything else here), then is delivered again with a new receipt
handle; only the latest handle deletes it, as on SQS. Thread-safe: the EventBridge emitter
sends from whichever thread advances the clock.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.emulator.clock import SimClock


@dataclass
class Message:
    id: str
    body: str
    sent_at: datetime
    visible_at: datetime
    receives: int = 0
    receipt: str | None = None

    @property
    def md5(self) -> str:
        return hashlib.md5(self.body.encode(), usedforsecurity=False).hexdigest()


class QueueError(Exception):
    """A named SQS error (its model shape name) about one message or entry."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


#: Messages a queue keeps; beyond it the oldest go (SQS keeps them for its retention period;
#: a demo left running with nobody consuming must not grow without bound).
MAX_MESSAGES = 10_000


class Queue:
    def __init__(self, url: str, clock: SimClock, visibility_timeout: int = 30) -> None:
        self.url = url
        self.clock = clock
        self.visibility_timeout = visibility_timeout
        self._messages: list[Message] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)

    def send(self, body: str) -> Message:
        now = self.clock.now()
        message = Message(str(uuid.uuid4()), body, now, now)
        with self._lock:
            self._messages.append(message)
            del self._messages[:-MAX_MESSAGES]
        return message

    def receive(self, limit: int, visibility: int | None) -> list[Message]:
        now = self.clock.now()
        hidden = timedelta(seconds=self.visibility_timeout if visibility is None else visibility)
        got: list[Message] = []
        with self._lock:
            for message in self._messages:
                if len(got) == limit:
                    break
                if message.visible_at <= now:
                    message.visible_at = now + hidden
                    message.receives += 1
                    message.receipt = f"{message.id}#{secrets.token_urlsafe(24)}"
                    got.append(message)
        return got

    def _find(self, receipt: str) -> Message:
        for message in self._messages:
            if message.receipt == receipt:
                return message
        raise QueueError("ReceiptHandleIsInvalid", f"The receipt handle {receipt!r} is not valid.")

    def delete(self, receipt: str) -> None:
        with self._lock:
            self._messages.remove(self._find(receipt))

    def change_visibility(self, receipt: str, seconds: int) -> None:
        now = self.clock.now()
        with self._lock:
            message = self._find(receipt)
            if message.visible_at <= now:
                raise QueueError("MessageNotInflight", "The message is not in flight.")
            message.visible_at = now + timedelta(seconds=seconds)


class Queues:
    """Queues by URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`, as AWS names them)."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._queues: dict[str, Queue] = {}

    def create(self, region: str, account: str, name: str) -> Queue:
        url = f"https://sqs.{region}.amazonaws.com/{account}/{name}"
        queue = self._queues.setdefault(url, Queue(url, self.clock))
        return queue

    def get(self, url: str) -> Queue | None:
        return self._queues.get(url)
