"""TC3-HMAC-SHA256 verification for the Tencent emulator, never skipped.

The expected signature is computed with the SDK's own `Sign.sign_tc3` over the canonical request
built exactly as `tencentcloud.common.abstract_client` builds it (method, URI, query, the signed
headers lower-cased, the hashed payload; scope `date/service/tc3_request`), so any client that
signs like the real SDK passes and anything else fails the way the real API fails.
Only the permanent demo key exists: X-TC-Token (temporary credentials) is not modelled.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from tencentcloud.common.sign import Sign

SERVICE = "omics"
#: The only credentials the emulator knows (SecretId → SecretKey).
DEMO_CREDENTIALS: dict[str, str] = {"AKIDEMULATOR00000000": "emulator-secret-key"}
#: Tencent rejects a request whose X-TC-Timestamp is more than 5 minutes off.
MAX_SKEW_SECONDS = 300

_AUTH = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<id>[^/,\s]+)/(?P<date>\d{4}-\d{2}-\d{2})"
    r"/(?P<service>[a-z0-9]+)"
    r"/tc3_request,\s*SignedHeaders=(?P<signed>[a-z0-9;\-]+),\s*Signature=(?P<sig>[0-9a-f]{64})"
)


class TencentError(Exception):
    """An API 3.0 error: answered as {"Response": {"Error": {"Code", "Message"}, "RequestId"}}."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def canonical_request(
    method: str, path: str, query: str, headers: Mapping[str, str], signed: list[str], body: bytes
) -> str:
    """The TC3 canonical request; `headers` must be keyed in lower case."""
    lines = []
    for name in signed:
        if name not in headers:
            raise TencentError("AuthFailure.SignatureFailure", f"signed header {name} is missing")
        lines.append(f"{name}:{headers[name].strip().lower()}\n")
    if headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD":
        body = b"UNSIGNED-PAYLOAD"
    payload_hash = hashlib.sha256(body).hexdigest()
    return "\n".join([method, path, query, "".join(lines), ";".join(signed), payload_hash])


def verify_tc3(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    credentials: Mapping[str, str] = DEMO_CREDENTIALS,
) -> str:
    """Check a request's TC3 signature against real wall-clock time; returns the SecretId.

    `headers` must be keyed in lower case. Raises TencentError with the API's AuthFailure codes.
    """
    auth = headers.get("authorization", "")
    m = _AUTH.fullmatch(auth.strip())
    if m is None:
        raise TencentError(
            "AuthFailure.InvalidAuthorization",
            "Authorization header is missing or is not a TC3-HMAC-SHA256 authorization",
        )
    raw_ts = headers.get("x-tc-timestamp")
    if raw_ts is None:
        raise TencentError("MissingParameter", "the request is missing X-TC-Timestamp")
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise TencentError("InvalidParameter", "X-TC-Timestamp must be a Unix time") from None
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        raise TencentError(
            "AuthFailure.SignatureExpire",
            "the signature expired: X-TC-Timestamp is more than 5 minutes off the server time",
        )
    secret_id = m.group("id")
    secret_key = credentials.get(secret_id)
    if secret_key is None:
        raise TencentError("AuthFailure.SecretIdNotFound", "the SecretId does not exist")
    signed = m.group("signed").split(";")
    if "content-type" not in signed or "host" not in signed:
        raise TencentError(
            "AuthFailure.InvalidAuthorization", "SignedHeaders must include content-type and host"
        )
    date, service = m.group("date"), m.group("service")
    want_date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = canonical_request(method, path, query, headers, signed, body)
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            raw_ts,
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        ]
    )
    expected: str = Sign.sign_tc3(secret_key, date, service, string_to_sign)
    if not hmac.compare_digest(expected, m.group("sig")) or date != want_date or service != SERVICE:
        raise TencentError(
            "AuthFailure.SignatureFailure",
            "the provided credentials could not be validated: check your signature",
        )
    return secret_id
