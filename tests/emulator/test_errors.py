"""Every error family the AWS side answers, each raised by botocore as the modeled exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import botocore.exceptions
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from tests.emulator.conftest import REGION, Served, aws_client


@pytest.fixture(scope="module")
def loose(emulator: Served) -> Any:
    """A client that skips botocore's own parameter checks, so the server's are exercised."""
    return aws_client(emulator, "omics", parameter_validation=False)


def _error(exc: pytest.ExceptionInfo[botocore.exceptions.ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    header = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"]
    assert header == response["Error"]["Code"]
    return response["Error"]["Code"], status, response["Error"]["Message"]


@pytest.mark.parametrize(
    ("operation", "kwargs", "member"),
    [
        ("get_run", {"id": "1" * 19}, "id"),  # length
        ("get_run", {"id": "abc"}, "id"),  # pattern
        ("list_runs", {"maxResults": 0}, "maxResults"),  # range, low
        ("list_batch", {"maxItems": 101}, "maxItems"),  # range, high
        ("list_runs", {"status": "DONE"}, "status"),  # enum
        ("list_run_tasks", {"id": "4000001", "status": "SUCCEEDED"}, "status"),  # enum
        ("list_batch", {"name": "x" * 65}, "name"),  # length
    ],
)
def test_validation_names_the_member(loose: Any, operation: str, kwargs: Any, member: str) -> None:
    with pytest.raises(loose.exceptions.ValidationException) as exc:
        getattr(loose, operation)(**kwargs)
    code, status, message = _error(exc)
    assert (code, status) == ("ValidationException", 400)
    assert f"'{member}'" in message


def test_datazone_range_and_pattern(emulator: Served) -> None:
    dz = aws_client(emulator, "datazone", parameter_validation=False)
    domain, job = emulator.emulator.datazone.busy_job
    with pytest.raises(dz.exceptions.ValidationException, match="maxResults"):
        dz.list_job_runs(domainIdentifier=domain, jobIdentifier=job, maxResults=51)
    with pytest.raises(dz.exceptions.ValidationException, match="domainIdentifier"):
        dz.list_job_runs(domainIdentifier="not-a-domain", jobIdentifier=job)
    with pytest.raises(dz.exceptions.ValidationException, match="sortOrder"):
        dz.list_job_runs(domainIdentifier=domain, jobIdentifier=job, sortOrder="UP")


def test_two_filters_on_list_runs_in_batch(emulator: Served, omics: Any) -> None:
    batch = emulator.emulator.healthomics.batch_ids()[0]
    with pytest.raises(omics.exceptions.ValidationException, match="one filter"):
        omics.list_runs_in_batch(batchId=batch, submissionStatus="SUCCESS", runSettingId="x")


def test_foreign_and_edited_tokens(emulator: Served, omics: Any, datazone: Any) -> None:
    token = omics.list_runs(maxResults=1)["nextToken"]
    with pytest.raises(omics.exceptions.ValidationException, match="startingToken"):
        omics.list_batch(startingToken=token)
    with pytest.raises(omics.exceptions.ValidationException):
        omics.list_runs(startingToken=token, status="COMPLETED")
    edited = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(omics.exceptions.ValidationException):
        omics.list_runs(startingToken=edited)
    assert omics.list_runs(startingToken=token, maxResults=1)["items"]
    domain, job = emulator.emulator.datazone.busy_job
    long_token = datazone.list_job_runs(domainIdentifier=domain, jobIdentifier=job, maxResults=1)[
        "nextToken"
    ]
    tampered = long_token[:-5] + "00000"
    with pytest.raises(datazone.exceptions.ValidationException, match="nextToken"):
        datazone.list_job_runs(domainIdentifier=domain, jobIdentifier=job, nextToken=tampered)
    with pytest.raises(datazone.exceptions.ValidationException):
        datazone.list_job_runs(
            domainIdentifier=domain, jobIdentifier=job, nextToken=long_token, sortOrder="ASCENDING"
        )


def test_not_found_and_deleted_run(emulator: Served, omics: Any) -> None:
    data = emulator.emulator.healthomics
    with pytest.raises(omics.exceptions.ResourceNotFoundException) as exc:
        omics.get_batch(batchId="1")
    assert _error(exc)[:2] == ("ResourceNotFoundException", 404)
    with pytest.raises(omics.exceptions.ResourceNotFoundException):
        omics.list_runs_in_batch(batchId="1")
    with pytest.raises(omics.exceptions.ResourceNotFoundException):
        omics.list_run_tasks(id="1")
    deleted = data.runs(status="DELETED")[0]["id"]
    assert omics.get_run(id=deleted)["status"] == "DELETED"
    with pytest.raises(omics.exceptions.ResourceNotFoundException):
        omics.list_run_tasks(id=deleted)
    live = data.runs(status="COMPLETED")[0]["id"]
    with pytest.raises(omics.exceptions.ResourceNotFoundException):
        omics.get_run_task(id=live, taskId="1")


def test_wrong_key_and_bad_signature(emulator: Served) -> None:
    stranger = aws_client(emulator, "omics", key="AKIASTRANGER00000000")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        stranger.list_batch()
    assert _error(exc)[:2] == ("UnrecognizedClientException", 403)
    forger = aws_client(emulator, "omics", secret="not-the-secret")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        forger.list_batch()
    code, status, message = _error(exc)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert "signature we calculated does not match" in message


def test_stale_date(emulator: Served, omics: Any) -> None:
    stale = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=6)
    with (
        mock.patch("botocore.auth.get_current_datetime", return_value=stale),
        pytest.raises(botocore.exceptions.ClientError) as exc,
    ):
        omics.list_batch()
    code, status, message = _error(exc)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("Signature expired")


def _signed_get(url: str, path: str, service: str) -> httpx.Response:
    request = AWSRequest(method="GET", url=url + path, headers={"Host": url.split("//")[1]})
    SigV4Auth(Credentials(DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY), service, REGION).add_auth(
        request
    )
    return httpx.get(url + path, headers=dict(request.headers.items()))


def test_scope_must_name_the_routed_service(emulator: Served) -> None:
    wrong = _signed_get(emulator.url, "/runBatch", "datazone")
    assert wrong.status_code == 403
    assert wrong.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert _signed_get(emulator.url, "/runBatch", "omics").status_code == 200
    unsigned = httpx.get(emulator.url + "/runBatch")
    assert unsigned.status_code == 403
    assert unsigned.json() == {"message": "Missing Authentication Token"}


def test_throttle_and_server_error_faults(emulator: Served, omics: Any) -> None:
    faults = emulator.emulator.faults
    faults.configure("omics", "GetRun", throttle_rate=1.0)
    with pytest.raises(omics.exceptions.ThrottlingException) as exc:
        omics.get_run(id="4000001")
    assert _error(exc)[1] == 429
    faults.configure("omics", "ListBatch", error_rate=1.0)
    with pytest.raises(omics.exceptions.InternalServerException) as exc2:
        omics.list_batch()
    assert _error(exc2)[1] == 500
    counts = emulator.emulator.calls.counts()
    assert counts == {"omics:GetRun": 1, "omics:ListBatch": 1}


def test_hang_ends_in_client_read_timeout(emulator: Served) -> None:
    httpx.put(
        emulator.url + "/_emulator/faults",
        json={"service": "omics", "operation": "ListRuns", "hang": True},
    ).raise_for_status()
    impatient = aws_client(emulator, "omics", read_timeout=0.5)
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        impatient.list_runs()
    assert emulator.emulator.calls.counts() == {}


def test_aws_quota_preset_throttles_bursts(emulator: Served, omics: Any) -> None:
    httpx.post(emulator.url + "/_emulator/faults/preset", json={"name": "aws-quotas"})
    run_id = emulator.emulator.healthomics.all_runs()[0]["id"]
    throttled = 0
    for _ in range(30):
        try:
            omics.get_run(id=run_id)
        except omics.exceptions.ThrottlingException:
            throttled += 1
    assert throttled >= 10
    httpx.post(emulator.url + "/_emulator/faults/preset", json={"name": "no-quotas"})
    omics.get_run(id=run_id)
