"""Cached values leave the process as JSON and come back as the same Python values."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.cache.codec import decode, encode
from gateway.types import Page


def test_records_round_trip_with_datetimes() -> None:
    record = {
        "id": "1234567",
        "name": "2024-01-01T00:00:00+00:00",  # looks like a time, stays a string
        "startTime": datetime(2024, 5, 1, 12, 30, 15, 123000, tzinfo=UTC),
        "tags": {"a": [1, 2.5, None, True]},
    }
    assert decode(encode(record)) == record
    assert isinstance(decode(encode(record))["name"], str)


def test_pages_round_trip() -> None:
    page = Page([{"taskId": "1", "stopTime": datetime(2024, 5, 1, tzinfo=UTC)}], "tok", 7)
    back = decode(encode(page))
    assert isinstance(back, Page)
    assert back == Page([{"taskId": "1", "stopTime": datetime(2024, 5, 1, tzinfo=UTC)}], "tok", 7)
    assert decode(encode(Page([], None))) == Page([], None, None)
