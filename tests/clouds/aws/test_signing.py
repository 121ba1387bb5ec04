"""The lean path's SigV4 writes botocore's canonical request and signature, byte for byte, and
the emulator's SigV4 check accepts it — with a session token, across a new secret and across
the UTC day boundary where the kept signing key must change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.utils import percent_encode_sequence

from gateway.clouds.aws.signing import Signer
from gateway.emulator.aws.sigv4 import verify

HOST = "127.0.0.1:8123"
AK, SK = "AKIAEXAMPLE000000000", "secret/with+chars="

REQUESTS = [
    ("GET", "/run/1234567/task", {"maxResults": 100}, {}, b""),
    # Tokens carry `/`, `+`, `=` and spaces: percent-encoded once in the URL, as botocore does.
    ("GET", "/run/1234567/task", {"startingToken": "a/b+c= d~é", "maxResults": 5}, {}, b""),
    ("GET", "/batch/abc-123", {}, {"User-Agent": "Botocore/x runs-gateway"}, b""),
    # A serialised path label with an encoded slash, and dot segments.
    ("GET", "/run/a%2Fb/./x/../task", {}, {}, b""),
    (
        "POST",
        "/v2/domains/dzd_1/jobs",
        {},
        {"Content-Type": "application/json", "X-Amz-Target": "a  b"},
        b'{"x": 1}',
    ),
]


def _botocore(
    creds: ReadOnlyCredentials,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[str, str]:
    """(Authorization, canonical request) from botocore's own `SigV4Auth`."""
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: now.replace(tzinfo=None))
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    signer = SigV4Auth(
        Credentials(creds.access_key, creds.secret_key, creds.token), "omics", "us-east-1"
    )
    signer.add_auth(request)
    authorization = request.headers["Authorization"]
    del request.headers["Authorization"]
    return authorization, signer.canonical_request(request)


def _check(
    signer: Signer,
    creds: ReadOnlyCredentials,
    request: tuple[str, str, dict[str, object], dict[str, str], bytes],
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    method, path, params, headers, body = request
    query = percent_encode_sequence(params) if params else ""
    ours = signer.sign(creds, method, HOST, path, query, dict(headers), body, now=now)
    authorization, canonical = _botocore(
        creds, method, path, query, headers, body, now, monkeypatch
    )
    assert ours["Authorization"] == authorization
    unsigned = {k: v for k, v in ours.items() if k != "Authorization"}
    assert signer.canonical_request(method, HOST, path, query, unsigned, body)[0] == canonical
    sent = [(k, v) for k, v in ours.items()] + [("host", HOST)]
    who = verify(
        method=method,
        raw_path=path,
        raw_query=query,
        headers=sent,
        body=body,
        service="omics",
        secrets={creds.access_key: creds.secret_key},
        now=now,
    )
    assert who.access_key == creds.access_key
    return ours


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEJr//////////wEaDExample=="])
def test_same_canonical_request_and_signature_as_botocore(
    request_: tuple[str, str, dict[str, object], dict[str, str], bytes],
    token: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    creds = ReadOnlyCredentials(AK, SK, token)
    now = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)
    headers = _check(Signer("us-east-1", "omics"), creds, request_, now, monkeypatch)
    assert ("X-Amz-Security-Token" in headers) == (token is not None)


def test_the_kept_key_follows_the_day_and_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = Signer("us-east-1", "omics")
    first = ReadOnlyCredentials(AK, SK, None)
    late = datetime(2026, 12, 3, 23, 59, 59, tzinfo=UTC)
    early = datetime(2026, 12, 4, 0, 0, 1, tzinfo=UTC)
    # The same signer before and after midnight: a key kept from the 3rd would sign wrongly.
    _check(signer, first, REQUESTS[1], late, monkeypatch)
    after = _check(signer, first, REQUESTS[1], early, monkeypatch)
    assert "/20261204/us-east-1/omics/aws4_request" in after["Authorization"]
    # Refreshed credentials on the same day: the key of the new secret, not the kept one.
    refreshed = ReadOnlyCredentials("ASIAREFRESHED0000000", "another-secret", "token-2")
    _check(signer, refreshed, REQUESTS[0], early, monkeypatch)
    _check(signer, first, REQUESTS[0], early, monkeypatch)
