"""SigV4 for the lean AWS transport: botocore's canonical request, with the signing key kept.

botocore's `SigV4Auth.add_auth` derives the signing key (four HMACs) on every request and
rebuilds the canonical request through `urlsplit`, `HTTPHeaders` and a header map each time
(~2.5× this module's CPU per call in `benchmarks.decompose`). The signature version allows
reusing the key for its whole scope — one UTC day, region and service (and the secret it came
from) — so `Signer` derives it once per scope and writes the canonical request straight from
what the serializer produced. The strings are byte for byte botocore's
(tests/clouds/aws/test_signing.py checks them against `SigV4Auth`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote

from botocore.credentials import ReadOnlyCredentials
from botocore.utils import normalize_url_path

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
#: Headers botocore never signs (botocore.auth.SIGNED_HEADERS_BLACKLIST).
_UNSIGNED = frozenset({"expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"})


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def canonical_path(url_path: str) -> str:
    """botocore's `SigV4Auth._normalize_url_path`: dot segments resolved, then quoted again."""
    return quote(normalize_url_path(url_path), safe="/~")


def canonical_query(query: str) -> str:
    """botocore's `_canonical_query_string_url`: the encoded pairs sorted as (key, value)."""
    if not query:
        return ""
    pairs = sorted(pair.partition("=")[::2] for pair in query.split("&"))
    return "&".join(f"{k}={v}" for k, v in pairs)


class Signer:
    """SigV4 for one region and service; keeps the signing key of the current scope."""

    def __init__(self, region: str, service: str) -> None:
        self.region = region
        self.service = service
        self._tail = f"/{region}/{service}/aws4_request"
        #: (secret, YYYYMMDD) → signing key; one scope at a time (a new day or secret replaces).
        self._key: tuple[str, str, bytes] | None = None

    def signing_key(self, secret: str, day: str) -> bytes:
        kept = self._key
        if kept is not None and kept[0] == secret and kept[1] == day:
            return kept[2]
        k_date = _hmac(f"AWS4{secret}".encode(), day)
        key = _hmac(_hmac(_hmac(k_date, self.region), self.service), "aws4_request")
        self._key = (secret, day, key)
        return key

    def canonical_request(
        self, method: str, host: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[str, str]:
        """(canonical request, signed header names) as `SigV4Auth.canonical_request` writes
        them for these headers (`host` added), with the payload's SHA-256."""
        signed: dict[str, str] = {"host": host}
        for name, value in headers.items():
            lname = name.lower()
            if lname not in _UNSIGNED:
                signed[lname] = " ".join(value.split())
        names = sorted(signed)
        signed_headers = ";".join(names)
        canonical = "\n".join(
            (
                method,
                canonical_path(path),
                canonical_query(query),
                "".join(f"{n}:{signed[n]}\n" for n in names),
                signed_headers,
                hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256,
            )
        )
        return canonical, signed_headers

    def sign(
        self,
        credentials: ReadOnlyCredentials,
        method: str,
        host: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        now: datetime | None = None,
    ) -> dict[str, str]:
        """Add `X-Amz-Date`, the session token (if any) and `Authorization` to `headers`
        (the other headers as they will be sent; `host` is signed, sent by the transport)."""
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        headers.pop("Authorization", None)
        headers["X-Amz-Date"] = stamp
        if credentials.token:
            headers["X-Amz-Security-Token"] = credentials.token
        canonical, signed_headers = self.canonical_request(method, host, path, query, headers, body)
        day = stamp[:8]
        scope = day + self._tail
        to_sign = "\n".join(
            (
                "AWS4-HMAC-SHA256",
                stamp,
                scope,
                hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
            )
        )
        key = self.signing_key(credentials.secret_key, day)
        signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed_headers}, Signature={signature}"
        )
        return headers
