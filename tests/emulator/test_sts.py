"""The emulator's STS AssumeRole, driven by real boto3 clients over loopback: query protocol,
SigV4, temporary credentials the other services accept, scoped to the role's account, refused
without their session token, outside a known account, and once expired."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.exceptions import ClientError

from gateway.emulator.app import create_emulator
from tests.emulator.conftest import REGION, Served, aws_client, client_config


def _omics_as(served: Served, creds: dict[str, Any], *, token: bool = True) -> Any:
    return boto3.session.Session().client(
        "omics",
        endpoint_url=served.url,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"] if token else None,
        config=client_config(),
    )


def _assume(served: Served, account: str, **extra: Any) -> dict[str, Any]:
    sts = aws_client(served, "sts")
    answer = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/runs-reader", RoleSessionName="test", **extra
    )
    assert answer["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{account}:assumed-role/")
    creds: dict[str, Any] = answer["Credentials"]
    return creds


def test_each_role_sees_its_own_account(emulator: Served) -> None:
    emu = emulator.emulator
    default, other = emu.accounts[0], emu.accounts[1]
    mine = [r["id"] for r in _omics_as(emulator, _assume(emulator, default)).list_runs()["items"]]
    theirs = [r["id"] for r in _omics_as(emulator, _assume(emulator, other)).list_runs()["items"]]
    assert mine == [r["id"] for r in emu.healthomics.all_runs()[:100]]
    truth = create_emulator(seed=emu.seed + 1, scale=emu.scale).healthomics.all_runs()[:100]
    assert theirs == [r["id"] for r in truth] and set(mine).isdisjoint(theirs)
    assert emu.calls.counts()["sts:AssumeRole"] == 2


def test_temporary_credentials_need_their_token(emulator: Served) -> None:
    creds = _assume(emulator, emulator.emulator.accounts[1])
    with pytest.raises(ClientError) as caught:
        _omics_as(emulator, creds, token=False).list_runs()
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_unknown_accounts_and_bad_arguments_are_refused(emulator: Served) -> None:
    sts = aws_client(emulator, "sts")
    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleArn="arn:aws:iam::999999999999:role/x", RoleSessionName="test")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as caught:
        sts.assume_role(
            RoleArn=f"arn:aws:iam::{emulator.emulator.accounts[1]}:role/x",
            RoleSessionName="not a session name!",
        )
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    bad = aws_client(emulator, "sts", secret="not-the-secret")
    with pytest.raises(ClientError) as caught:
        bad.assume_role(RoleArn="arn:aws:iam::999999999999:role/x", RoleSessionName="test")
    assert caught.value.response["Error"]["Code"] == "InvalidSignature"


def test_expired_credentials_are_refused(emulator: Served) -> None:
    sts = emulator.emulator.sts
    assert sts is not None
    sts.lifetime = timedelta(seconds=1)
    try:
        creds = _assume(emulator, emulator.emulator.accounts[1])
    finally:
        sts.lifetime = None
    time.sleep(1.2)
    with pytest.raises(ClientError) as caught:
        _omics_as(emulator, creds).list_runs()
    assert caught.value.response["Error"]["Code"] == "ExpiredTokenException"
