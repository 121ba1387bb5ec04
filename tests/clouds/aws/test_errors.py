"""One botocore failure maps to one typed error, whichever AWS service spells the code."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from gateway.clouds.aws.wire import map_error
from gateway.errors import ErrorCode
from gateway.types import ProviderKind

KIND = ProviderKind("HEALTHOMICS", "healthomics")


@pytest.mark.parametrize(
    ("code", "status", "ours"),
    [
        ("AccessDeniedException", 403, ErrorCode.FORBIDDEN),
        ("AccessDenied", 403, ErrorCode.FORBIDDEN),  # SQS's queue of another account
        ("ThrottlingException", 400, ErrorCode.THROTTLED),
        ("InternalFailure", 500, ErrorCode.UPSTREAM_UNAVAILABLE),
    ],
)
def test_each_services_spelling_maps_to_our_code(code: str, status: int, ours: ErrorCode) -> None:
    exc = ClientError(
        {
            "Error": {"Code": code, "Message": "words of the upstream"},
            "ResponseMetadata": {"RequestId": "r-1", "HTTPStatusCode": status},
        },
        "ReceiveMessage",
    )
    error = map_error(exc, "aws", KIND)
    assert error.extensions["code"] == ours.value
    assert "words of the upstream" not in str(error)
