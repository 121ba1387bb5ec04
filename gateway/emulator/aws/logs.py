"""CloudWatch Logs (botocore service `logs`, JSON 1.1): GetLogEvents and FilterLogEvents.

What clients trip over is reproduced on purpose: GetLogEvents hands out forward and backward
tokens that are never null, valid 24 hours by the emulator's clock; at either end of a stream it
returns the very token it was given; pages may be empty mid-stream (`empty_pages` fault); a
forward token needs `startFromHead=true`. FilterLogEvents pages like any listing (its token is
absent when done) and matches filter patterns by terms, not substrings: a bare word matches a
whole word, a double-quoted phrase matches as written, and every term must match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from gateway.emulator.aws.protocol import AwsCall, AwsError, Handler, Pager
from gateway.emulator.clock import SimClock
from gateway.emulator.faults import Faults

SERVICE = "logs"
TOKEN_LIFETIME = timedelta(hours=24)
DEFAULT_LIMIT = 10000


class LogEvent(Protocol):
    timestamp: int
    message: str
    ingestion_time: int


class LogGroup(Protocol):
    """One log group's streams: its events (None when the stream does not exist) and names."""

    def events(self, stream: str) -> list[Any] | None: ...

    def stream_names(self, prefix: str) -> list[str]: ...


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message, 400)


def missing(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message, 400)


@dataclass(frozen=True)
class _Position:
    forward: bool
    offset: int
    stage: int
    issued_ms: int


class _Tokens:
    """`f/…` and `b/…` tokens bound to the group, stream and time range that issued them."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, binding: str, body: str) -> str:
        digest = hmac.new(self._secret, f"{binding}|{body}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")

    def issue(self, binding: str, position: _Position) -> str:
        body = f"{position.offset}.{position.stage}.{position.issued_ms}"
        return f"{'f' if position.forward else 'b'}/{body}.{self._mac(binding, body)}"

    def parse(self, binding: str, token: str) -> _Position:
        direction, _, rest = token.partition("/")
        body, _, mac = rest.rpartition(".")
        try:
            offset, stage, issued = (int(x) for x in body.split("."))
        except ValueError:
            raise invalid("The specified nextToken is invalid.") from None
        if direction not in ("f", "b") or not hmac.compare_digest(mac, self._mac(binding, body)):
            raise invalid("The specified nextToken is invalid.")
        return _Position(direction == "f", offset, stage, issued)


def _mix(offset: int, salt: int) -> int:
    return ((offset + 1) * 2654435761 + salt * 40503) % 1000003


_TERM = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def pattern_matcher(pattern: str) -> Any:
    """Terms of a text filter pattern: every one must match (quoted: as written; bare: a word)."""
    if pattern.lstrip().startswith(("{", "[")):
        raise invalid("Only text filter patterns are supported here.")
    terms: list[re.Pattern[str]] = []
    for quoted, bare in _TERM.findall(pattern):
        if quoted:
            terms.append(re.compile(re.escape(quoted.replace('\\"', '"'))))
        else:
            terms.append(re.compile(rf"(?<!\w){re.escape(bare)}(?!\w)"))
    return lambda message: all(t.search(message) for t in terms)


class LogsService:
    """The two read operations the gateway uses, over the log groups of one region."""

    def __init__(
        self,
        groups: Mapping[str, LogGroup],
        region: str,
        clock: SimClock,
        faults: Faults,
        pager: Pager,
        secret: bytes,
    ) -> None:
        self.groups = groups
        self.region = region
        self.clock = clock
        self.faults = faults
        self.pager = pager
        self.tokens = _Tokens(secret)
        self.operations: dict[str, Handler] = {
            "GetLogEvents": self.get_log_events,
            "FilterLogEvents": self.filter_log_events,
        }

    def _group(self, call: AwsCall) -> tuple[str, LogGroup]:
        p = call.params
        name, ident = p.get("logGroupName"), p.get("logGroupIdentifier")
        if (name is None) == (ident is None):
            raise invalid("Specify exactly one of logGroupName and logGroupIdentifier.")
        if name is None:
            name = str(ident).split(":log-group:", 1)[-1].removesuffix(":*")
        group = self.groups.get(name) if call.region == self.region else None
        if group is None:
            raise missing("The specified log group does not exist.")
        return name, group

    def _now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    @staticmethod
    def _in_range(events: list[Any], start: int | None, end: int | None) -> list[Any]:
        return [
            e
            for e in events
            if (start is None or e.timestamp >= start) and (end is None or e.timestamp < end)
        ]

    async def get_log_events(self, call: AwsCall) -> dict[str, Any]:
        p = call.params
        name, group = self._group(call)
        stream = p["logStreamName"]
        found = group.events(stream)
        if found is None:
            raise missing("The specified log stream does not exist.")
        start, end = p.get("startTime"), p.get("endTime")
        events = self._in_range(found, start, end)
        binding = f"{name}|{stream}|{start}|{end}"
        limit = p.get("limit", DEFAULT_LIMIT)
        now = self._now_ms()
        head = bool(p.get("startFromHead", False))
        given = p.get("nextToken")

        def token(forward: bool, offset: int, stage: int = 0) -> str:
            return self.tokens.issue(binding, _Position(forward, offset, stage, now))

        if given is None:
            lo, hi = (
                (0, min(limit, len(events))) if head else (max(0, len(events) - limit), len(events))
            )
            return self._answer(events[lo:hi], token(True, hi), token(False, lo))
        pos = self.tokens.parse(binding, given)
        if now - pos.issued_ms > TOKEN_LIFETIME.total_seconds() * 1000:
            raise invalid("The specified nextToken has expired.")
        if pos.forward and not head:
            raise invalid("startFromHead must be true when nextToken is a forward token.")
        offset = min(pos.offset, len(events))
        if not pos.forward:
            if offset == 0:
                return self._answer([], token(True, 0), given)
            lo = max(0, offset - limit)
            return self._answer(events[lo:offset], token(True, offset), token(False, lo))
        if offset >= len(events):
            return self._answer([], given, token(False, offset))
        faults = self.faults.effective(SERVICE, call.operation)
        if faults.empty_pages and pos.stage == 0 and _mix(offset, 1) % 2 == 0:
            # Empty mid-stream, with a new token for the same place: not the end.
            return self._answer([], token(True, offset, 1), token(False, offset))
        size = limit
        if faults.short_pages and limit > 1:
            size = 1 + _mix(offset, 2) % (limit - 1)
        hi = min(len(events), offset + size)
        return self._answer(events[offset:hi], token(True, hi), token(False, offset))

    @staticmethod
    def _answer(events: list[Any], forward: str, backward: str) -> dict[str, Any]:
        return {
            "events": [
                {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}
                for e in events
            ],
            "nextForwardToken": forward,
            "nextBackwardToken": backward,
        }

    async def filter_log_events(self, call: AwsCall) -> dict[str, Any]:
        p = call.params
        name, group = self._group(call)
        names, prefix = p.get("logStreamNames"), p.get("logStreamNamePrefix")
        if names is not None and prefix is not None:
            raise invalid("You cannot specify both logStreamNames and logStreamNamePrefix.")
        streams = names if names is not None else group.stream_names(prefix or "")
        match = pattern_matcher(p.get("filterPattern", ""))
        start, end = p.get("startTime"), p.get("endTime")
        hits: list[tuple[int, str, int, Any]] = []
        for stream in streams:
            for i, event in enumerate(self._in_range(group.events(stream) or [], start, end)):
                if match(event.message):
                    hits.append((event.timestamp, stream, i, event))
        hits.sort(key=lambda h: (h[0], h[1], h[2]))
        filters = {
            "group": name,
            "streams": streams if names is not None else None,
            "prefix": prefix,
            "pattern": p.get("filterPattern"),
            "start": start,
            "end": end,
        }
        try:
            page, token = self._page(call, hits, filters)
        except AwsError as exc:
            raise invalid(exc.message) from exc
        return {
            "events": [
                {
                    "logStreamName": stream,
                    "timestamp": event.timestamp,
                    "message": event.message,
                    "ingestionTime": event.ingestion_time,
                    "eventId": _event_id(stream, i, event.timestamp),
                }
                for _, stream, i, event in page
            ],
            "nextToken": token,
        }

    def _page(
        self, call: AwsCall, hits: list[Any], filters: dict[str, Any]
    ) -> tuple[list[Any], str | None]:
        return self.pager.page(
            hits,
            operation=call.operation,
            filters=filters,
            token=call.params.get("nextToken"),
            token_param="nextToken",
            limit=call.params.get("limit", DEFAULT_LIMIT),
        )


def _event_id(stream: str, index: int, timestamp: int) -> str:
    stream_digits = int.from_bytes(hashlib.sha256(stream.encode()).digest()[:6], "big")
    return f"{timestamp:020d}{stream_digits:015d}{index:09d}"
