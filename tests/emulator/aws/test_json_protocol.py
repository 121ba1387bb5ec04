"""The generic JSON-protocol plumbing, driven by real boto3 clients over loopback.

Two models stand in for "any JSON service": CloudWatch Logs (JSON 1.1) and SQS (JSON 1.0,
query-compatible). The handlers are toys defined here; the module under test names no service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.emulator.aws.json_protocol import JsonDispatcher, JsonService
from gateway.emulator.aws.protocol import AwsCall, AwsError
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.calls import CallLog
from gateway.emulator.faults import Faults
from gateway.emulator.server import LoopbackServer
from tests.emulator.conftest import client_config

SEEN: list[AwsCall] = []


async def describe_groups(call: AwsCall) -> dict[str, Any]:
    SEEN.append(call)
    limit = call.params.get("limit", 50)
    return {"logGroups": [{"logGroupName": f"g{i}", "storedBytes": i} for i in range(limit)]}


async def queue_url(call: AwsCall) -> dict[str, Any]:
    SEEN.append(call)
    if call.params["QueueName"] == "missing":
        raise AwsError("QueueDoesNotExist", "The specified queue does not exist.", 400)
    return {"QueueUrl": f"http://127.0.0.1/000000000000/{call.params['QueueName']}"}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Faults, CallLog]]:
    faults, calls = Faults(quotas=False), CallLog()
    dispatcher = JsonDispatcher(
        [
            JsonService(
                "logs",
                {"DescribeLogGroups": describe_groups},
                validation_code="InvalidParameterException",
            ),
            JsonService(
                "sqs",
                {"GetQueueUrl": queue_url},
                query_codes={"QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue"},
            ),
        ],
        faults,
        calls,
    )

    async def entry(request: Request) -> Response:
        return await dispatcher(request)

    app = Starlette(routes=[Route("/", entry, methods=["POST"])])
    with LoopbackServer(app) as srv:
        yield srv.url, faults, calls


def client(served: tuple[str, Faults, CallLog], service: str, **config: Any) -> Any:
    return boto3.session.Session().client(
        service,
        endpoint_url=served[0],
        region_name="eu-west-1",
        aws_access_key_id=config.pop("key", DEMO_ACCESS_KEY_ID),
        aws_secret_access_key=config.pop("secret", DEMO_SECRET_ACCESS_KEY),
        config=client_config(**config),
    )


def test_json_11_round_trip_types_the_input(served: Any) -> None:
    SEEN.clear()
    answer = client(served, "logs").describe_log_groups(limit=3, logGroupNamePrefix="g")
    assert [g["logGroupName"] for g in answer["logGroups"]] == ["g0", "g1", "g2"]
    assert SEEN[-1].params == {"limit": 3, "logGroupNamePrefix": "g"}
    assert (SEEN[-1].region, SEEN[-1].operation) == ("eu-west-1", "DescribeLogGroups")


def test_json_10_round_trip(served: Any) -> None:
    answer = client(served, "sqs").get_queue_url(QueueName="jobs")
    assert answer["QueueUrl"].endswith("/jobs")


def test_bounds_answer_the_services_validation_code(served: Any) -> None:
    loose = client(served, "logs", parameter_validation=False)
    with pytest.raises(loose.exceptions.InvalidParameterException, match="'limit'"):
        loose.describe_log_groups(limit=0)


def test_wrong_json_type_is_a_serialization_error(served: Any) -> None:
    loose = client(served, "logs", parameter_validation=False)
    with pytest.raises(loose.exceptions.ClientError) as exc:
        loose.describe_log_groups(limit="many")
    assert exc.value.response["Error"]["Code"] == "SerializationException"
    assert "limit" in exc.value.response["Error"]["Message"]


def test_query_compatible_error_header(served: Any) -> None:
    sqs = client(served, "sqs")
    with pytest.raises(sqs.exceptions.ClientError) as exc:
        sqs.get_queue_url(QueueName="missing")
    error = exc.value.response["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["QueryErrorCode"] == "QueueDoesNotExist"
    assert error["Type"] == "Sender"


def test_no_query_header_for_other_services(served: Any) -> None:
    loose = client(served, "logs", parameter_validation=False)
    with pytest.raises(loose.exceptions.ClientError) as exc:
        loose.describe_log_groups(limit=0)
    assert "x-amzn-query-error" not in exc.value.response["ResponseMetadata"]["HTTPHeaders"]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"secret": "wrong"}, "InvalidSignatureException"),
        ({"key": "AKIAUNKNOWN000000000"}, "UnrecognizedClientException"),
    ],
)
def test_sigv4_is_verified(served: Any, overrides: dict[str, str], code: str) -> None:
    logs = client(served, "logs", **overrides)
    with pytest.raises(logs.exceptions.ClientError) as exc:
        logs.describe_log_groups()
    assert exc.value.response["Error"]["Code"] == code


def test_faults_and_call_log(served: Any) -> None:
    _, faults, calls = served
    calls.clear()
    faults.configure("logs", "DescribeLogGroups", throttle_rate=1.0)
    try:
        with pytest.raises(client(served, "logs").exceptions.ClientError) as exc:
            client(served, "logs").describe_log_groups()
    finally:
        faults.reset(quotas=False)
    assert exc.value.response["Error"]["Code"] == "ThrottlingException"
    assert calls.counts() == {"logs:DescribeLogGroups": 1}


@pytest.mark.parametrize("target", ["Nope_2020.Anything", "Logs_20140328.DeleteLogGroup"])
def test_unknown_targets(served: Any, target: str) -> None:
    answer = httpx.post(
        served[0] + "/",
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
        content=b"{}",
    )
    assert answer.status_code == 400
    assert answer.json()["__type"] == "UnknownOperationException"


def test_unreadable_body(served: Any) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="POST",
        url=served[0] + "/",
        data=b"{not json",
        headers={
            "X-Amz-Target": "Logs_20140328.DescribeLogGroups",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(
        Credentials(DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY), "logs", "us-east-1"
    ).add_auth(request)
    answer = httpx.post(request.url, headers=dict(request.headers), content=request.body)
    assert answer.status_code == 400
    assert answer.json()["__type"] == "SerializationException"
