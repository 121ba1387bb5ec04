"""Strawberry's ASGI view held to the GraphQL-over-HTTP spec.

Strawberry answers request-level failures in plain text, lets subscriptions and unknown
operations through to execution (where they surface as INTERNAL), and serves every result as
`application/json` with 200. Here: the media type is negotiated per request; a request that
fails before execution is a JSON GraphQL error with `extensions.code` (`BAD_USER_INPUT`, the
status saying which kind); under `application/graphql-response+json` such a request gets its
4xx; a request error never carries `data`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.errors import ErrorCode
from gateway.graph.context import Context
from gateway.http.errors import RequestError, error_body, result_status
from gateway.http.negotiation import Media, negotiate
from gateway.observability.hooks import current_request_id

log = logging.getLogger("gateway.http")

#: The media type negotiated for the request this task is answering.
_MEDIA: ContextVar[Media] = ContextVar("gateway_http_media", default=Media.JSON)

_SUBSCRIPTION_OVER_HTTP = (
    "subscriptions are not served over a plain HTTP request: open a WebSocket to /graphql "
    "(subprotocol graphql-transport-ws) and subscribe there, or send a query instead"
)
_MUTATION_OVER_GET = "mutations are only accepted with POST (this gateway defines none)"


#: Strawberry's own request-error reasons, said so that the client knows what to do.
_CLEARER = {
    "Batching is not enabled": "send one operation per request: a JSON object, not an array "
    "(batching is off)",
    "Unable to parse request body as JSON": "the request body is not valid JSON",
}


def _unknown_operation(name: str | None) -> str:
    if name:
        return (
            f"the document has no operation named {name!r}: send the name of one of its "
            "operations in `operationName`"
        )
    return (
        "the document holds several operations: say which one to run in `operationName`, "
        "or send a document with exactly one"
    )


def allowed_operations(method: str, protocol: str) -> set[OperationType]:
    """Queries on GET; queries and mutations on POST; subscriptions only over a streaming
    transport (SSE, multipart), never as a plain request."""
    allowed = {OperationType.QUERY}
    if method == "POST":
        allowed.add(OperationType.MUTATION)
    if protocol != "http":
        allowed.add(OperationType.SUBSCRIPTION)
    return allowed


def _is_request_error(result: ExecutionResult) -> bool:
    """No data and only errors without a path: parse, validation, coercion or a refusal before
    execution (a field error always has a path)."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(not e.path for e in errors)


class SpecGraphQL(GraphQL[Context, None]):
    """See the module docstring; `gateway.app.GatewayGraphQL` builds on this."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        media = negotiate(request.headers.get("accept"))
        token = _MEDIA.set(media)
        try:
            if request.method not in ("GET", "POST"):
                raise RequestError(
                    405,
                    f"{request.method} is not served here: send GraphQL with POST "
                    "(or queries with GET)",
                    headers={"Allow": "GET, POST"},
                )
            response = await self.run(request)
        except HTTPException as exc:
            response = self.refusal(exc, media)
        finally:
            _MEDIA.reset(token)
        await response(scope, receive, send)

    def refusal(self, exc: HTTPException, media: Media) -> Response:
        """A request refused before execution, as JSON with a code (never plain text)."""
        code = exc.code if isinstance(exc, RequestError) else _code_for_status(exc.status_code)
        status = exc.status_code
        message = _CLEARER.get(exc.reason, exc.reason)
        if isinstance(exc, RequestError) and exc.graphql and media is Media.JSON:
            status = 200  # a GraphQL request error of a well-formed request (spec: 200)
        log.info("request refused (%s %s): %s", status, code.value, message)
        headers = exc.headers if isinstance(exc, RequestError) else {}
        return Response(
            self.encode_json(error_body(message, code, current_request_id())),
            status_code=status,
            headers=headers,
            media_type=f"{media.value}; charset=utf-8",
        )

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            if content_type != "application/json":
                raise RequestError(
                    415,
                    "send the request body as JSON with `Content-Type: application/json`"
                    f" (got {content_type or 'none'})",
                )
        data = await super().parse_http_body(request)
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item.operation_name, str | None):
                raise RequestError(
                    400, "`operationName` must be a string (the operation's name) or null"
                )
        return data

    async def execute_single(  # type: ignore[override]
        self,
        *,
        request: Any,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData,
        context: Context,
        root_value: None = None,
        **kwargs: Any,
    ) -> ExecutionResult:
        """Strawberry's, with the operation types the spec allows per method and each refusal
        a request error that says what to do."""
        allowed = allowed_operations(request_adapter.method, request_data.protocol)
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except MissingQueryError:
            raise RequestError(
                400, "the request has no `query`: send a GraphQL document in `query`"
            ) from None
        except CannotGetOperationTypeError:
            raise RequestError(
                400, _unknown_operation(request_data.operation_name), graphql=True
            ) from None
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.MUTATION:
                raise RequestError(405, _MUTATION_OVER_GET, headers={"Allow": "POST"}) from None
            raise RequestError(400, _SUBSCRIPTION_OVER_HTTP, graphql=True) from None

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        if _is_request_error(result):
            body.pop("data", None)  # the spec: a request error has no `data` entry
        return body

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media = _MEDIA.get()
        response.headers["content-type"] = f"{media.value}; charset=utf-8"
        if isinstance(response_data, Mapping) and not sub_response.status_code:
            response.status_code = result_status(media, response_data)
        return response


def _code_for_status(status: int) -> ErrorCode:
    return {
        401: ErrorCode.UNAUTHENTICATED,
        403: ErrorCode.FORBIDDEN,
        404: ErrorCode.NOT_FOUND,
    }.get(status, ErrorCode.BAD_USER_INPUT)
