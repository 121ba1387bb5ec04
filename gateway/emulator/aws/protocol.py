"""AWS REST-JSON plumbing driven by botocore's model: routes, request parsing, validation, output.

Everything here reads the service model (`http.requestUri`, member locations, min/max/pattern/
enum metadata, timestamp formats), so field names and bounds are never copied by hand.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote

import botocore.session
import orjson
from starlette.responses import Response

from gateway.emulator.calls import CallLog
from gateway.emulator.faults import Faults, page_window
from gateway.emulator.tokens import BadToken, TokenCodec, TokenState

T = TypeVar("T")
Params = dict[str, Any]
Handler = Callable[["AwsCall"], Awaitable[dict[str, Any]]]


class AwsError(Exception):
    """A modeled AWS error: `code` goes to `x-amzn-ErrorType`, `message` to the JSON body."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message, 404)


def error_response(code: str, message: str, status: int) -> Response:
    """The wire form botocore's rest-json parser turns into the modeled exception class."""
    return Response(
        orjson.dumps({"message": message}),
        status_code=status,
        media_type="application/json",
        headers={"x-amzn-ErrorType": code, "x-amzn-RequestId": str(uuid.uuid4())},
    )


@cache
def service_model(name: str) -> Any:
    """botocore's model for `name`, loaded once per process."""
    return botocore.session.get_session().get_service_model(name)


@dataclass(frozen=True)
class AwsCall:
    """One parsed, validated request handed to an operation handler."""

    service: str
    operation: str
    params: Params
    region: str
    #: The AWS account of the signing credentials, where the dispatcher knows identities.
    account: str | None = None


@dataclass(frozen=True)
class Route:
    """One operation's HTTP binding, compiled from the model's `requestUri` template."""

    service: str
    operation: str
    method: str
    regex: re.Pattern[str]
    model: Any

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = self.regex.fullmatch(path)
        return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}


def compile_route(service: str, operation: str) -> Route:
    op = service_model(service).operation_model(operation)
    template = op.http["requestUri"].split("?", 1)[0]
    pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m[1]}>[^/]+)", re.escape(template))
    return Route(service, operation, op.http["method"], re.compile(pattern), op)


# --- request parsing ------------------------------------------------------------------------


def parse_params(route: Route, labels: dict[str, str], raw_query: str) -> Params:
    """Input members from URI labels and the query string, typed per the model's shapes."""
    shape = route.model.input_shape
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query.setdefault(key, []).append(value)
    params: Params = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri" and wire in labels:
            params[name] = labels[wire]
        elif location == "querystring" and wire in query:
            values = query[wire]
            if member.type_name == "list":
                params[name] = values
            elif member.type_name == "integer":
                try:
                    params[name] = int(values[0])
                except ValueError as exc:
                    raise validation_error(
                        f"1 validation error detected: Value '{values[0]}' at '{name}' failed "
                        f"to satisfy constraint: Member must be an integer"
                    ) from exc
            elif member.type_name == "boolean":
                params[name] = values[0].lower() == "true"
            else:
                params[name] = values[0]
    return params


# --- validation -----------------------------------------------------------------------------

# Java's \p{...} classes as the model writes them; Python's `re` has none, so a class made of
# all of L, M, Z, S, N, P means "any character but a control character".
_PRINTABLE_CLASS = re.compile(r"\[(?:\\p\{[LMZSNP]\}|\|)+(?P<ws>(?:\\[tnr])*)\]")


@cache
def _pattern(java: str) -> re.Pattern[str] | None:
    def replace(m: re.Match[str]) -> str:
        allowed_ws = m["ws"].replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r")
        controls = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)])
        return "[^" + re.escape("".join(c for c in controls if c not in allowed_ws)) + "]"

    translated = _PRINTABLE_CLASS.sub(replace, java)
    if "\\p{" in translated:
        return None  # a class we cannot translate faithfully: skip rather than misjudge
    return re.compile(translated)


def _violation(value: Any, path: str, constraint: str) -> AwsError:
    return validation_error(
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy "
        f"constraint: Member must {constraint}"
    )


def validate(shape: Any, value: Any, path: str) -> None:
    """Check `value` against the model's length, range, pattern and enum; name the member."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "string":
        if "min" in meta and len(value) < meta["min"]:
            raise _violation(value, path, f"have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            raise _violation(value, path, f"have length less than or equal to {meta['max']}")
        if "enum" in meta and value not in meta["enum"]:
            raise _violation(value, path, f"satisfy enum value set: [{', '.join(meta['enum'])}]")
        compiled = _pattern(meta["pattern"]) if "pattern" in meta else None
        if compiled is not None and compiled.fullmatch(value) is None:
            raise _violation(value, path, f"satisfy regular expression pattern: {meta['pattern']}")
    elif kind in ("integer", "long"):
        if "min" in meta and value < meta["min"]:
            raise _violation(value, path, f"have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            raise _violation(value, path, f"have value less than or equal to {meta['max']}")
    elif kind == "list":
        if "min" in meta and len(value) < meta["min"]:
            raise _violation(value, path, f"have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            raise _violation(value, path, f"have length less than or equal to {meta['max']}")
        for i, item in enumerate(value):
            validate(shape.member, item, f"{path}.{i + 1}.member")
    elif kind == "map":
        for key, item in value.items():
            validate(shape.key, key, f"{path}.key")
            validate(shape.value, item, f"{path}.{key}")
    elif kind == "structure" and not meta.get("document"):
        for name in meta.get("required", []):
            if value.get(name) is None:
                raise _violation("null", f"{path}.{name}".lstrip("."), "not be null")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                validate(member, value[name], f"{path}.{name}".lstrip("."))


# --- output ---------------------------------------------------------------------------------


def _timestamp(shape: Any, protocol: str, value: datetime) -> Any:
    fmt = shape.serialization.get("timestampFormat") or (
        "unixTimestamp" if protocol in ("rest-json", "json") else "iso8601"
    )
    value = value.astimezone(UTC)
    if fmt == "iso8601":
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return round(value.timestamp(), 3)


def serialize(shape: Any, value: Any, protocol: str = "rest-json") -> Any:
    """Turn a handler's plain dict into the model's JSON form; unknown keys are a bug, refused."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure":
        if shape.metadata.get("document"):
            return value
        unknown = set(value) - set(shape.members)
        if unknown:
            raise KeyError(f"{shape.name} has no members {sorted(unknown)}")
        return {
            name: serialize(shape.members[name], item, protocol)
            for name, item in value.items()
            if item is not None
        }
    if kind == "list":
        return [serialize(shape.member, item, protocol) for item in value]
    if kind == "map":
        return {k: serialize(shape.value, v, protocol) for k, v in value.items()}
    if kind == "timestamp":
        return _timestamp(shape, protocol, value)
    return value


def json_response(route: Route, result: dict[str, Any]) -> Response:
    protocol = service_model(route.service).metadata["protocol"]
    body = serialize(route.model.output_shape, result, protocol)
    return Response(
        orjson.dumps(body),
        status_code=route.model.http.get("responseCode", 200),
        media_type="application/json",
        headers={"x-amzn-RequestId": str(uuid.uuid4())},
    )


def routes_for(service: str, operations: Iterable[str]) -> list[Route]:
    return [compile_route(service, op) for op in operations]


class Pager:
    """Token paging shared by every listing: filter-bound tokens, hostile windows, token log."""

    def __init__(self, service: str, secret: bytes, faults: Faults, calls: CallLog) -> None:
        self.service = service
        self.codec = TokenCodec(secret)
        self.faults = faults
        self.calls = calls

    def page(
        self,
        items: Sequence[T],
        *,
        operation: str,
        filters: dict[str, Any],
        token: str | None,
        token_param: str,
        limit: int,
        pad_to: Callable[[int], int] | None = None,
    ) -> tuple[list[T], str | None]:
        """One page of `items` and the token for the next, or None at the end."""
        state = TokenState(0)
        if token is not None:
            try:
                state = self.codec.parse(operation, filters, token)
            except BadToken as exc:
                raise validation_error(
                    f"Invalid {token_param}: the token is not valid for this request ({exc})"
                ) from exc
        cfg = self.faults.effective(self.service, operation)
        start, end, following = page_window(len(items), state, limit, cfg)
        if following is None:
            return list(items[start:end]), None
        pad = pad_to(following.offset) if pad_to else 0
        return list(items[start:end]), self.calls.issued(
            self.codec.issue(operation, filters, following, pad_to=pad)
        )
