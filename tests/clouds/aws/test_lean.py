"""The lean REST-JSON path against the emulator: every request it sends is signed exactly as
botocore's `SigV4Auth` signs the same request with the same credentials (and the emulator's
SigV4 check accepts it), temporary credentials from the emulator's STS included, across their
refresh; botocore's validation and `standard` retries still hold."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.exceptions import ClientError, ParamValidationError

from gateway.clouds.aws.lean import LeanClient
from gateway.clouds.aws.signing import Signer
from gateway.clouds.aws.wire import AwsWire
from gateway.clouds.healthomics.states import KIND
from gateway.config import load_settings
from tests.conftest import Upstreams

Sent = tuple[ReadOnlyCredentials, str, str, str, str, dict[str, str], bytes]


@pytest.fixture
async def signed(
    upstreams: Upstreams, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[AwsWire, list[Sent]]]:
    """A HealthOmics wire reading through a role (the emulator's STS), recording what it signs."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", upstreams.url)
    upstreams.emulator.faults.reset(quotas=False)
    upstreams.emulator.calls.clear()
    account = upstreams.emulator.accounts[1]
    settings = load_settings(
        None,
        sources=[
            {
                "name": "aws",
                "provider": "healthomics",
                "region": "us-east-1",
                "endpoint_url": upstreams.url,
                "role_arn": f"arn:aws:iam::{account}:role/runs-reader",
            }
        ],
        cursors={"keys": ["test-cursor-key-000000001"]},
    )
    wire = AwsWire(settings.sources[0], settings.limits, "omics", asyncio.Semaphore(8), kind=KIND)
    seen: list[Sent] = []
    sign = Signer.sign

    def recording(self: Signer, creds: ReadOnlyCredentials, *args: Any, **kw: Any) -> Any:
        headers = sign(self, creds, *args, **kw)
        method, host, path, query, _, body = args
        seen.append((creds, method, host, path, query, dict(headers), body))
        return headers

    monkeypatch.setattr(Signer, "sign", recording)
    try:
        yield wire, seen
    finally:
        await wire.aclose()
        upstreams.emulator.faults.reset(quotas=False)


def _as_botocore_signs(sent: Sent, monkeypatch: pytest.MonkeyPatch) -> str:
    creds, method, host, path, query, headers, body = sent
    stamp = datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: stamp)
    unsigned = {
        k: v
        for k, v in headers.items()
        if k not in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
    }
    url = f"http://{host}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, headers=unsigned, data=body)
    botocore_creds = Credentials(creds.access_key, creds.secret_key, creds.token)
    SigV4Auth(botocore_creds, "omics", "us-east-1").add_auth(request)
    authorization: str = request.headers["Authorization"]
    return authorization


async def test_requests_are_signed_as_botocore_signs_them_across_a_refresh(
    signed: tuple[AwsWire, list[Sent]], upstreams: Upstreams, monkeypatch: pytest.MonkeyPatch
) -> None:
    wire, seen = signed
    sts = upstreams.emulator.sts
    assert sts is not None
    # Credentials that expire inside botocore's refresh windows (15 min advisory, 10 min
    # mandatory): every call after the first assumes the role again, with new keys.
    sts.lifetime = timedelta(minutes=10, seconds=2)
    try:
        client = await wire.client()
        assert isinstance(client, LeanClient)
        runs = await client.list_runs(maxResults=3)
        assert len(runs["items"]) == 3
        tasks = await client.list_run_tasks(id=runs["items"][0]["id"], maxResults=2)
        assert "items" in tasks
    finally:
        sts.lifetime = None
    calls = upstreams.emulator.calls.counts()
    assert calls["sts:AssumeRole"] >= 2
    assert calls["omics:ListRuns"] == 1 and calls["omics:ListRunTasks"] == 1  # both accepted
    keys = [s[0].access_key for s in seen]
    assert len(seen) == 2 and keys[0] != keys[1]
    for sent in seen:
        assert sent[0].token and sent[5]["X-Amz-Security-Token"] == sent[0].token
        assert sent[5]["Authorization"] == _as_botocore_signs(sent, monkeypatch)


async def test_validation_and_standard_retries_are_botocores(
    signed: tuple[AwsWire, list[Sent]], upstreams: Upstreams
) -> None:
    wire, seen = signed
    client = await wire.client()
    with pytest.raises(ParamValidationError):
        await client.list_runs(maxResults="many")
    assert upstreams.emulator.calls.counts().get("omics:ListRuns") is None  # nothing sent
    upstreams.emulator.faults.configure("omics", "ListRuns", throttle_rate=1.0)
    with pytest.raises(ClientError) as caught:
        await client.list_runs(maxResults=3)
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    # botocore's standard mode: the first try and two retries, each signed afresh.
    assert upstreams.emulator.calls.counts()["omics:ListRuns"] == 3
    assert len(seen) == 3


async def test_a_proxied_endpoint_keeps_aiobotocores_path(
    upstreams: Upstreams, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind `HTTP_PROXY` every call goes through aiobotocore, which honours proxies."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    settings = load_settings(
        None,
        sources=[
            {
                "name": "aws",
                "provider": "healthomics",
                "region": "us-east-1",
                "endpoint_url": upstreams.url,
            }
        ],
        cursors={"keys": ["test-cursor-key-000000001"]},
    )
    wire = AwsWire(settings.sources[0], settings.limits, "omics", asyncio.Semaphore(8), kind=KIND)
    try:
        client = await wire.client()
        assert not isinstance(client, LeanClient)
        assert client.meta.service_model.service_name == "omics"
    finally:
        await wire.aclose()
