"""Every upstream answer is checked before use: its shape, and each record's identity field.

A cloud that answers a 200 with something malformed (unparsable, truncated, a listing item
without its id, an id of the wrong type) must not become an empty page, a record with a made-up
id ("None") or an INTERNAL error: it is `UPSTREAM_ERROR`, typed and on the field's path, while
the rest of the tree answers. Providers call these on each answer; they name no cloud.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.errors import ErrorCode, UpstreamError
from gateway.types import ProviderKind, Record


class MalformedAnswer(Exception):
    """Raised by a wire parser that met a body it cannot read; the wire maps it to
    `malformed(...)` (an exception type of ours, so no library error is mistaken for it)."""


def malformed(source: str, provider: ProviderKind, operation: str, why: str) -> UpstreamError:
    """The typed error for an answer that cannot be used; `why` never quotes upstream data."""
    return UpstreamError(
        f"upstream answered {operation} with a malformed response: {why}",
        ErrorCode.UPSTREAM_ERROR,
        source=source,
        provider=provider,
        upstream_code=operation,
    )


def _is_identity(value: object) -> bool:
    return isinstance(value, str) and value != ""


@dataclass(frozen=True)
class Check:
    """The checks of one answer: of `operation`, from `source`."""

    source: str
    provider: ProviderKind
    operation: str

    def fail(self, why: str) -> UpstreamError:
        return malformed(self.source, self.provider, self.operation, why)

    def record(self, answer: object, identity: Sequence[str]) -> Record:
        """`answer` as a record: an object holding a non-empty string under at least one of the
        `identity` fields (several when a record may be known by either, like a batch's failed
        submission that has a runSettingId and no runId)."""
        if not isinstance(answer, dict):
            raise self.fail("a record is not an object")
        if identity and not any(_is_identity(answer.get(name)) for name in identity):
            present = [name for name in identity if answer.get(name) is not None]
            why = "wrong type of" if present else "missing"
            raise self.fail(f"{why} identity field {'/'.join(identity)}")
        return answer

    def items(self, answer: Mapping[str, Any], key: str, identity: Sequence[str]) -> list[Record]:
        """The listing under `key` (absent: none), each item checked by `record`."""
        found = answer.get(key)
        if found is None:
            return []
        if not isinstance(found, list):
            raise self.fail(f"`{key}` is not a list")
        return [self.record(item, identity) for item in found]

    def object(self, answer: Mapping[str, Any], key: str) -> Record:
        """A member that must be present and an object."""
        found = answer.get(key)
        if not isinstance(found, dict):
            raise self.fail(f"`{key}` is {'missing' if found is None else 'not an object'}")
        return found

    def token(self, answer: Mapping[str, Any], key: str) -> str | None:
        """A next-page token: a string or absent (empty is the end, as botocore reads it)."""
        found = answer.get(key)
        if found is None or found == "":
            return None
        if not isinstance(found, str):
            raise self.fail(f"`{key}` is not a string")
        return found

    def count(self, answer: Mapping[str, Any], key: str) -> int | None:
        """A total count: a non-negative integer or absent."""
        found = answer.get(key)
        if found is None:
            return None
        if isinstance(found, bool) or not isinstance(found, int) or found < 0:
            raise self.fail(f"`{key}` is not a count")
        return found
