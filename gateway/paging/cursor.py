"""Encrypted, authenticated cursors: the item's upstream page, its place there and its identity.

Clients can neither read nor forge a cursor, and one made for another connection, filter or key
does not open. The payload is compact binary (not JSON) so cursors stay under 256 characters;
upstream tokens too long to fit are swapped for a key into the token store by the caller.
Besides the item's own id hash it carries its neighbours' (the re-alignment anchors), so a walk
can step over the item when upstream deleted it between two requests (see docs/cursors.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gateway.types import PageRef

_VERSION = 2
_REF_FIRST, _REF_TOKEN, _REF_OFFSET, _REF_STORED = 0, 1, 2, 3
_TAIL = struct.Struct(">BH6s6s6s")  # size, index, id hash, previous item's, next item's
_TAIL_V1 = struct.Struct(">BHH6s")  # size, index, (reserved), id hash: cursors issued before v2
_NONCE = 12
#: The longest upstream token carried inline (HealthOmics' are at most 128); longer ones go to
#: the token store. 256 URL-safe characters hold 192 bytes: 28 AEAD, 27 fixed, 1+2+136 token.
MAX_INLINE_TOKEN = 136
STORE_KEY_LEN = 16
#: An anchor that is not known (the item began or ended what the gateway saw of the list).
NO_ANCHOR = bytes(6)


class CursorError(ValueError):
    """The cursor is not one this connection issued (edited, foreign, or another key's)."""


@dataclass(frozen=True, slots=True)
class StoredRef:
    """A key into the token store standing in for an upstream token too long for a cursor."""

    key: bytes


@dataclass(frozen=True, slots=True)
class CursorData:
    """Where an item lives upstream: the page (ref + size asked), its index and identity hash,
    and the identity hashes of its neighbours when it was listed (`NO_ANCHOR` when unknown)."""

    ref: PageRef | StoredRef
    size: int
    index: int
    id_hash: bytes
    prev_hash: bytes = NO_ANCHOR
    next_hash: bytes = NO_ANCHOR


def id_hash(key: str) -> bytes:
    """A short hash of an item's identity: enough to find it again, useless to read."""
    return hashlib.blake2b(key.encode(), digest_size=6).digest()


def store_key(token: str) -> bytes:
    """Deterministic, so the same upstream token always gives the same cursor."""
    return hashlib.blake2b(token.encode(), digest_size=STORE_KEY_LEN).digest()


def derive_key(secret: str) -> bytes:
    """Config keys are free-form secrets; HKDF turns each into an AES-256 key."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"runs-gateway/cursor", info=b"v1"
    ).derive(secret.encode())


def random_secret() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _encode_ref(ref: PageRef | StoredRef) -> bytes:
    if ref is None:
        return bytes([_REF_FIRST])
    if isinstance(ref, StoredRef):
        return bytes([_REF_STORED]) + ref.key
    if isinstance(ref, int):
        return bytes([_REF_OFFSET]) + struct.pack(">Q", ref)
    raw = ref.encode()
    if len(raw) > MAX_INLINE_TOKEN:
        raise ValueError("token too long to inline; store it first")
    return bytes([_REF_TOKEN]) + struct.pack(">H", len(raw)) + raw


def _decode_ref(buf: bytes) -> tuple[PageRef | StoredRef, bytes]:
    kind, rest = buf[0], buf[1:]
    if kind == _REF_FIRST:
        return None, rest
    if kind == _REF_STORED:
        return StoredRef(rest[:STORE_KEY_LEN]), rest[STORE_KEY_LEN:]
    if kind == _REF_OFFSET:
        return struct.unpack(">Q", rest[:8])[0], rest[8:]
    if kind == _REF_TOKEN:
        (length,) = struct.unpack(">H", rest[:2])
        return rest[2 : 2 + length].decode(), rest[2 + length :]
    raise CursorError("unknown reference kind")


class CursorCodec:
    """Seals cursors with the first key of the ring and opens them with any key of it."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("a cursor key ring needs at least one key")
        self._aeads = [AESGCM(derive_key(s)) for s in secrets]

    def encode(self, data: CursorData, connection: bytes) -> str:
        payload = (
            bytes([_VERSION])
            + _encode_ref(data.ref)
            + _TAIL.pack(data.size, data.index, data.id_hash, data.prev_hash, data.next_hash)
        )
        nonce = os.urandom(_NONCE)
        sealed = nonce + self._aeads[0].encrypt(nonce, payload, connection)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def decode(self, cursor: str, connection: bytes) -> CursorData:
        try:
            sealed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError) as exc:
            raise CursorError("malformed cursor") from exc
        if len(sealed) <= _NONCE + 16:
            raise CursorError("malformed cursor")
        nonce, body = sealed[:_NONCE], sealed[_NONCE:]
        for aead in self._aeads:
            try:
                payload = aead.decrypt(nonce, body, connection)
                break
            except InvalidTag:
                continue
        else:
            raise CursorError("cursor does not belong to this connection")
        try:
            version = payload[0]
            if version not in (1, _VERSION):
                raise CursorError("unsupported cursor version")
            ref, rest = _decode_ref(payload[1:])
            if version == 1:
                size, index, _, digest = _TAIL_V1.unpack(rest)
                return CursorData(ref, size, index, digest)
            size, index, digest, prev, nxt = _TAIL.unpack(rest)
        except (IndexError, struct.error, UnicodeDecodeError) as exc:
            raise CursorError("malformed cursor") from exc
        return CursorData(ref, size, index, digest, prev, nxt)
