"""SigV4 verification with botocore's own signer, so the emulator accepts exactly what AWS would.

botocore's `SigV4Auth.add_auth` always stamps the current time, so verification rebuilds the
request from its signed headers and raw query, pins `context['timestamp']` to `X-Amz-Date` and
recomputes the signature with the signer's `canonical_request`/`string_to_sign`/`signature`.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

#: The emulator's only AWS credentials; documented so the demo and tests can sign with them.
DEMO_ACCESS_KEY_ID = "AKIAEMULATOR00000000"
DEMO_SECRET_ACCESS_KEY = "emulator-secret-key"
#: How far `X-Amz-Date` may be from the wall clock, as on AWS.
MAX_SKEW = timedelta(minutes=5)

_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<sig>[0-9a-f]+)\s*$"
)
_AMZ_FMT = "%Y%m%dT%H%M%SZ"


class AuthError(Exception):
    """A request AWS would refuse before looking at it: error code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class SignedBy:
    """Who signed a verified request, and for which region and service."""

    access_key: str
    region: str
    service: str


def _invalid_signature(message: str) -> AuthError:
    return AuthError("InvalidSignatureException", message)


def _check_skew(amz_date: str, now: datetime) -> None:
    try:
        stamp = datetime.strptime(amz_date, _AMZ_FMT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise AuthError(
            "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'.", 400
        ) from exc
    if stamp < now - MAX_SKEW:
        raise _invalid_signature(
            f"Signature expired: {amz_date} is now earlier than "
            f"{(now - MAX_SKEW).strftime(_AMZ_FMT)} ({now.strftime(_AMZ_FMT)} - 5 min.)"
        )
    if stamp > now + MAX_SKEW:
        raise _invalid_signature(
            f"Signature not yet current: {amz_date} is still later than "
            f"{(now + MAX_SKEW).strftime(_AMZ_FMT)} ({now.strftime(_AMZ_FMT)} + 5 min.)"
        )


def verify(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    service: str,
    secrets: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> SignedBy:
    """Check a request's SigV4 signature for `service`; raise `AuthError` as AWS would.

    `now` is the wall clock (signers stamp real time), never the emulator's simulated clock.
    """
    secrets = secrets if secrets is not None else {DEMO_ACCESS_KEY_ID: DEMO_SECRET_ACCESS_KEY}
    now = now or datetime.now(UTC)
    by_name: dict[str, list[str]] = {}
    for name, value in headers:
        by_name.setdefault(name.lower(), []).append(value)
    authorization = by_name.get("authorization", [""])[0]
    if not authorization:
        raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")
    match = _AUTH_RE.match(authorization)
    if match is None:
        raise AuthError(
            "IncompleteSignatureException",
            f"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' "
            f"parameters. Authorization={authorization}",
            400,
        )
    parts = match["cred"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise AuthError("IncompleteSignatureException", "Credential is malformed.", 400)
    access_key, scope_date, region, scope_service, _ = parts
    secret = secrets.get(access_key)
    if secret is None:
        raise AuthError(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    amz_date = by_name.get("x-amz-date", [""])[0]
    if not amz_date:
        raise AuthError(
            "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            400,
        )
    _check_skew(amz_date, now)
    if scope_date != amz_date[:8]:
        raise _invalid_signature(
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{scope_date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    if scope_service != service:
        raise _invalid_signature(f"Credential should be scoped to correct service: '{service}'. ")
    signed = match["signed"].split(";")
    if "host" not in signed:
        raise _invalid_signature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    missing = [h for h in signed if h not in by_name]
    if missing:
        raise _invalid_signature(f"Signed header(s) missing from the request: {missing}")
    url = f"http://{by_name['host'][0]}{raw_path}" + (f"?{raw_query}" if raw_query else "")
    request = AWSRequest(
        method=method,
        url=url,
        headers={h: ",".join(by_name[h]) for h in signed},
        data=body,
    )
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(access_key, secret), service, region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, match["sig"]):
        raise _invalid_signature(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. "
            "Consult the service documentation for details."
        )
    return SignedBy(access_key=access_key, region=region, service=service)
