"""AWS JSON 1.0/1.1 plumbing driven by botocore's model: `X-Amz-Target` dispatch, SigV4, errors.

The JSON protocol posts every operation to `/` with `X-Amz-Target: <targetPrefix>.<Operation>`
and a JSON body; errors carry their code in the body's `__type`. Services that moved from the
query protocol (`awsQueryCompatible` in the model) also send `x-amzn-query-error:
<query code>;<Sender|Receiver>`, from which botocore restores the old error code. Which services
are served is the caller's choice: this module names none.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from botocore.model import NoShapeFoundError
from starlette.requests import Request
from starlette.responses import Response

from gateway.emulator.aws.protocol import AwsCall, AwsError, Handler, serialize, service_model
from gateway.emulator.aws.protocol import validate as validate_constraints
from gateway.emulator.aws.sigv4 import AuthError, verify
from gateway.emulator.aws.sts import Identities
from gateway.emulator.calls import CallLog
from gateway.emulator.faults import Faults, Outcome
from gateway.emulator.held import ClientGone, unless_disconnected

#: What an injected fault answers when the service names nothing more specific.
DEFAULT_FAULT_ERRORS: Mapping[Outcome, tuple[str, str, int]] = {
    "throttle": ("ThrottlingException", "Rate exceeded", 400),
    "error": ("InternalFailure", "An internal error occurred. Try again.", 500),
}


def serialization_error(message: str) -> AwsError:
    """A body the service cannot read as its input shape (wrong JSON type, bad base64)."""
    return AwsError("SerializationException", message, 400)


@dataclass(frozen=True)
class JsonService:
    """One JSON-protocol service: botocore's name for it and its handlers by operation name.

    `query_errors` adds the `x-amzn-query-error` header (default: when the model declares
    `awsQueryCompatible`); its code is the error shape's modeled `error.code`, else
    `query_codes[code]`, else the code itself. `fault_errors` is what injected throttles and
    failures answer; `validation_code` is the code a body breaking the model's bounds gets.
    """

    name: str
    handlers: Mapping[str, Handler]
    query_errors: bool | None = None
    query_codes: Mapping[str, str] = field(default_factory=dict)
    validation_code: str = "ValidationException"
    fault_errors: Mapping[Outcome, tuple[str, str, int]] = field(
        default_factory=lambda: dict(DEFAULT_FAULT_ERRORS)
    )

    @property
    def model(self) -> Any:
        return service_model(self.name)

    @property
    def signing_name(self) -> str:
        meta = self.model.metadata
        return str(meta.get("signingName") or meta["endpointPrefix"])

    @property
    def sends_query_errors(self) -> bool:
        if self.query_errors is not None:
            return self.query_errors
        return "awsQueryCompatible" in self.model.metadata


# --- input ----------------------------------------------------------------------------------


def _mismatch(path: str, expected: str, value: Any) -> AwsError:
    return serialization_error(
        f"Expected {expected} at '{path or 'the request body'}', got {type(value).__name__}"
    )


def read_input(shape: Any, value: Any, path: str = "") -> Any:
    """The body's JSON typed per the model: numbers to datetimes, base64 to bytes; members the
    model does not know are dropped, as the services do."""
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return value
        if not isinstance(value, dict):
            raise _mismatch(path, "an object", value)
        return {
            name: read_input(member, value[name], f"{path}.{name}".lstrip("."))
            for name, member in shape.members.items()
            if value.get(name) is not None
        }
    if kind == "list":
        if not isinstance(value, list):
            raise _mismatch(path, "a list", value)
        return [read_input(shape.member, item, f"{path}.{i + 1}") for i, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise _mismatch(path, "an object", value)
        return {k: read_input(shape.value, v, f"{path}.{k}") for k, v in value.items()}
    if kind == "string":
        if not isinstance(value, str):
            raise _mismatch(path, "a string", value)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _mismatch(path, "a boolean", value)
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _mismatch(path, "an integer", value)
        return value
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _mismatch(path, "a number", value)
        return float(value)
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _mismatch(path, "epoch seconds", value)
        return datetime.fromtimestamp(value, UTC)
    if kind == "blob":
        if not isinstance(value, str):
            raise _mismatch(path, "base64 text", value)
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise serialization_error(f"Invalid base64 at '{path}'") from exc
    return value


# --- output ---------------------------------------------------------------------------------


def _request_id() -> str:
    return str(uuid.uuid4())


def error_response(service: JsonService, code: str, message: str, status: int) -> Response:
    """`{"__type", "message"}` as botocore's JSON parser reads it, plus the query-compatible
    header when the service sends one (its code and fault taken from the model's error shape)."""
    headers = {"x-amzn-RequestId": _request_id()}
    if service.sends_query_errors:
        query_code = service.query_codes.get(code, code)
        fault = "Sender" if status < 500 else "Receiver"
        try:
            error = service.model.shape_for(code).metadata.get("error", {})
        except NoShapeFoundError:  # an error the model does not declare (a throttle, auth)
            error = {}
        if error:
            query_code = error.get("code", query_code)
            fault = "Sender" if error.get("senderFault") else "Receiver"
        headers["x-amzn-query-error"] = f"{query_code};{fault}"
    version = service.model.metadata.get("jsonVersion", "1.0")
    return Response(
        orjson.dumps({"__type": code, "message": message}),
        status_code=status,
        media_type=f"application/x-amz-json-{version}",
        headers=headers,
    )


def result_response(service: JsonService, operation: Any, result: Mapping[str, Any]) -> Response:
    shape = operation.output_shape
    body = serialize(shape, dict(result), "json") if shape is not None else {}
    version = service.model.metadata.get("jsonVersion", "1.0")
    return Response(
        orjson.dumps(body),
        media_type=f"application/x-amz-json-{version}",
        headers={"x-amzn-RequestId": _request_id()},
    )


# --- dispatch -------------------------------------------------------------------------------


class JsonDispatcher:
    """Answers `POST /` requests carrying `X-Amz-Target` for the services it was given.

    Order of checks as on AWS: target known, SigV4, then (after injected faults) the body's
    types and the model's constraints; only then the handler runs. Every answer is logged.
    """

    def __init__(
        self,
        services: Iterable[JsonService],
        faults: Faults,
        calls: CallLog,
        secrets: Mapping[str, str] | None = None,
        identities: Identities | None = None,
    ) -> None:
        self.faults = faults
        self.calls = calls
        self.secrets = secrets
        #: With identities, STS credentials sign too and each call knows its caller's account.
        self.identities = identities
        self.by_prefix: dict[str, JsonService] = {
            service.model.metadata["targetPrefix"]: service for service in services
        }

    @staticmethod
    def accepts(request: Request) -> bool:
        return request.method == "POST" and "x-amz-target" in request.headers

    async def __call__(self, request: Request) -> Response:
        arrived = time.monotonic()
        prefix, _, operation = request.headers.get("x-amz-target", "").partition(".")
        service = self.by_prefix.get(prefix)
        if service is None:
            return Response(
                orjson.dumps({"__type": "UnknownOperationException", "message": "Unknown target"}),
                status_code=400,
                media_type="application/x-amz-json-1.0",
                headers={"x-amzn-RequestId": _request_id()},
            )
        if operation not in service.handlers:
            message = f"Unknown operation {operation}"
            return error_response(service, "UnknownOperationException", message, 400)
        try:
            response = await self._answer(request, service, operation)
        except ClientGone:
            return Response(status_code=499)
        self.calls.record(service.name, operation, response.status_code, arrived)
        return response

    async def _answer(self, request: Request, service: JsonService, operation: str) -> Response:
        body = await request.body()
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        try:
            signed = verify(
                method=request.method,
                raw_path=raw_path.split("?", 1)[0],
                raw_query=request.scope.get("query_string", b"").decode("latin-1"),
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]
                ],
                body=body,
                service=service.signing_name,
                secrets=self.identities.secrets() if self.identities else self.secrets,
            )
            account = None
            if self.identities is not None:
                token = request.headers.get("x-amz-security-token")
                account = self.identities.check(signed.access_key, token).account
        except AuthError as exc:
            return error_response(service, exc.code, exc.message, exc.status)
        outcome = await unless_disconnected(request, self.faults.gate(service.name, operation))
        if outcome != "ok":
            return error_response(service, *service.fault_errors[outcome])
        model = service.model.operation_model(operation)
        try:
            params = self._params(service, model, body)
            call = AwsCall(service.name, operation, params, signed.region, account)
            result = await service.handlers[operation](call)
        except AwsError as exc:
            return error_response(service, exc.code, exc.message, exc.status)
        return result_response(service, model, result)

    @staticmethod
    def _params(service: JsonService, operation: Any, body: bytes) -> dict[str, Any]:
        try:
            raw = orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError as exc:
            raise serialization_error("The request body is not valid JSON") from exc
        shape = operation.input_shape
        if shape is None:
            return {}
        params: dict[str, Any] = read_input(shape, raw)
        try:
            validate_constraints(shape, params, "")
        except AwsError as exc:
            raise AwsError(service.validation_code, exc.message, exc.status) from exc
        return params
