"""Opaque pagination tokens, bound to the operation and filters that issued them.

Real services hand out opaque tokens that are rejected when replayed on another listing or
edited; clients that rely on anything else break in production, so the emulator does the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any


class BadToken(ValueError):
    """The token was not issued for this listing, or was edited."""


@dataclass(frozen=True)
class TokenState:
    """Where a listing resumes: the next offset and the hostile-paging stage at that offset."""

    offset: int
    stage: int = 0


class TokenCodec:
    """Signs and checks tokens; `pad_to` makes tokens as long as the real service's can be."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _binding(self, operation: str, filters: dict[str, Any]) -> bytes:
        blob = json.dumps([operation, filters], sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).digest()[:8]

    def issue(
        self, operation: str, filters: dict[str, Any], state: TokenState, pad_to: int = 0
    ) -> str:
        body = f"{state.offset}.{state.stage}".encode()
        mac = hmac.new(self._secret, self._binding(operation, filters) + body, "sha256")
        raw = body + b"|" + mac.digest()[:12]
        token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        if pad_to > len(token):
            # Long tokens (DataZone's run to 8192 chars) carry deterministic filler after a '~'.
            filler = hashlib.sha256(token.encode()).hexdigest()
            token += "~" + (filler * (pad_to // len(filler) + 1))[: pad_to - len(token) - 1]
        return token

    def parse(self, operation: str, filters: dict[str, Any], token: str) -> TokenState:
        core, _, filler = token.partition("~")
        if filler:
            expected = hashlib.sha256(core.encode()).hexdigest()
            if filler != (expected * (len(filler) // len(expected) + 1))[: len(filler)]:
                raise BadToken("edited token")
        try:
            raw = base64.urlsafe_b64decode(core + "=" * (-len(core) % 4))
            body, _, mac = raw.partition(b"|")
            offset_s, stage_s = body.decode().split(".")
            state = TokenState(int(offset_s), int(stage_s))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadToken("malformed token") from exc
        want = hmac.new(self._secret, self._binding(operation, filters) + body, "sha256")
        if not hmac.compare_digest(mac, want.digest()[:12]):
            raise BadToken("token from another listing")
        return state
