"""A leaner path under aiobotocore for REST-JSON reads: botocore's pieces without its client.

A call through aiobotocore spends CPU on more than the request needs: a dozen event emissions
(each a hierarchical lookup), an `AWSRequest` → `AWSPreparedRequest` → aiohttp request chain,
SigV4 deriving its key each time, and aiohttp's response wrapped again — 0.6–3 ms per call more
than this path in the benchmark's runs (`--only cpu`), ~100 calls per cold tree. `LeanRestJson`
keeps what carries meaning and calls it directly:

- validation: botocore's `ParamValidator` (the same errors, before anything is sent);
- serialisation: botocore's REST-JSON serializer (paths, query strings and bodies as botocore
  writes them);
- signing: `signing.Signer`, botocore's canonical request with the key kept per day and scope;
- credentials: the session's own credential object, asked for frozen credentials on every
  attempt, so botocore's refresh (assume-role, expiry) works unchanged;
- retries: botocore's `standard` mode objects (`StandardRetryConditions`, `ExponentialBackoff`,
  `RetryQuotaChecker`), consulted exactly where its retry handler would be;
- parsing: the client's own response parser (`parsing.FastRestJSONParser`), errors raised as
  botocore's `ClientError`;
- transport: one aiohttp session per source (aiobotocore's own HTTP library), timeouts and pool
  size from the client's config, transport failures mapped to botocore's exception types.

What it steps around is botocore's event system: nothing in the gateway registers handlers on
these operations (the wire's `before-send` pacing is called here per attempt instead), so the
events would only dispatch to botocore's defaults. Operations this cannot honour exactly
(another protocol, a streaming body, host-prefix labels, another auth type, checksums,
compression) go through the aiobotocore client unchanged, and so does every call of a wire
whose endpoint is reached through an environment proxy (`HTTP(S)_PROXY`; aiohttp's own
`trust_env` would also apply `.netrc` credentials over the signature).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import botocore
import yarl
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.httpsession import get_cert_path
from botocore.model import OperationModel
from botocore.retries import quota, standard
from botocore.serialize import create_serializer
from botocore.utils import percent_encode_sequence
from botocore.validate import validate_parameters

from gateway.clouds.aws.signing import Signer

_USER_AGENT = f"Botocore/{botocore.__version__} runs-gateway"


class _Answer:
    """What botocore's retry checkers read of an HTTP response."""

    __slots__ = ("headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.headers = headers


def supported(op: OperationModel, inject_host_prefix: bool) -> bool:
    """Whether `LeanRestJson` makes this call exactly as botocore's client would."""
    prefix = (op.endpoint or {}).get("hostPrefix") if inject_host_prefix else None
    return (
        op.service_model.protocol == "rest-json"
        and op.service_model.signature_version == "v4"
        and op.resolved_auth_type in (None, "v4")
        and not op.unsigned_payload
        and not op.idempotent_members  # botocore fills idempotency tokens in a handler
        and not op.endpoint_discovery
        and not op.has_streaming_input
        and not op.has_streaming_output
        and not op.http_checksum_required
        and not op.http_checksum
        and not op.request_compression
        and not op.has_event_stream_input
        and not op.has_event_stream_output
        and (prefix is None or "{" not in prefix)
    )


class LeanRestJson:
    """One source's REST-JSON calls: validate, serialise, sign, send, retry, parse."""

    def __init__(
        self,
        client: Any,
        parser: Any,
        credentials: Callable[[], Awaitable[Any]],
        before_attempt: Callable[[str], Awaitable[None]],
        *,
        max_attempts: int,
        inject_host_prefix: bool,
    ) -> None:
        meta = client.meta
        self.client = client
        self.model = meta.service_model
        self.parser = parser  # the session's parser factory's (parsing.FastRestJSONParser)
        self.endpoint = meta.endpoint_url
        self.signer = Signer(meta.region_name, self.model.signing_name or self.model.service_name)
        self._credentials = credentials
        self._before_attempt = before_attempt
        self._inject_host_prefix = inject_host_prefix
        self._serializer = create_serializer("rest-json", include_validation=False)
        self._validate = meta.config.parameter_validation
        config = meta.config
        self._timeout = aiohttp.ClientTimeout(
            sock_connect=config.connect_timeout, sock_read=config.read_timeout
        )
        self._pool = config.max_pool_connections
        self._session: aiohttp.ClientSession | None = None
        detector = standard.ThrottlingErrorDetector(standard.RetryEventAdapter())
        self._max_attempts = max_attempts
        self._policy = standard.RetryPolicy(
            retry_checker=standard.StandardRetryConditions(max_attempts=max_attempts),
            retry_backoff=standard.ExponentialBackoff(
                service_name=self.model.service_id.hyphenize(), throttling_detector=detector
            ),
        )
        self._quota = standard.RetryQuotaChecker(quota.RetryQuota(), detector)
        self._ops: dict[str, OperationModel | None] = {}

    def operation(self, name: str) -> OperationModel | None:
        """The operation's model if this path serves it, else None (memoised)."""
        op = self._ops.get(name)
        if op is None and name not in self._ops:
            found = self.model.operation_model(name)
            op = found if supported(found, self._inject_host_prefix) else None
            self._ops[name] = op
        return op

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            ssl: Any = None
            if self.endpoint.startswith("https"):
                import ssl as ssl_module

                ssl = ssl_module.create_default_context(cafile=get_cert_path(True))
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool, ssl=ssl),
                timeout=self._timeout,
                auto_decompress=True,
                skip_auto_headers=("User-Agent", "Content-Type"),
            )
        return self._session

    def _url(self, op: OperationModel, url_path: str, query: str) -> tuple[str, str]:
        """(URL, Host) as botocore's `prepare_request_dict` joins endpoint, path and query."""
        p = urlsplit(self.endpoint)
        if not url_path or url_path == "/":
            path = p.path or "/"
        elif p.path.endswith("/") and url_path.startswith("/"):
            path = p.path[:-1] + url_path
        else:
            path = p.path + url_path
        netloc = p.netloc
        prefix = (op.endpoint or {}).get("hostPrefix") if self._inject_host_prefix else None
        if prefix:
            netloc = prefix + netloc
        url = urlunsplit((p.scheme, netloc, path, "", ""))
        host = netloc
        # botocore's `_host_from_url`: the default port is not part of the signed host.
        if (p.scheme == "https" and host.endswith(":443")) or (
            p.scheme == "http" and host.endswith(":80")
        ):
            host = host.rsplit(":", 1)[0]
        return (url + "?" + query if query else url), host

    async def call(self, op: OperationModel, params: dict[str, Any]) -> dict[str, Any]:
        if self._validate:
            validate_parameters(params, op.input_shape)  # botocore's ParamValidationError
        request = self._serializer.serialize_to_request(params, op)
        query = percent_encode_sequence(request["query_string"]) if request["query_string"] else ""
        url, host = self._url(op, request["url_path"], query)
        path = urlsplit(url).path
        body = request["body"] or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        base_headers = {k: v for k, v in request["headers"].items()}
        invocation = str(uuid.uuid4())
        request_context: dict[str, Any] = {}
        attempt = 1
        while True:
            await self._before_attempt(op.name)
            creds = await self._credentials()
            frozen = await creds.get_frozen_credentials() if creds is not None else None
            if frozen is None:
                raise NoCredentialsError()
            headers = dict(base_headers)
            headers["User-Agent"] = _USER_AGENT
            self.signer.sign(frozen, request["method"], host, path, query, headers, body)
            # Sent after signing, as botocore's retry handler adds them (not signed).
            headers["amz-sdk-invocation-id"] = invocation
            headers["amz-sdk-request"] = f"attempt={attempt}; max={self._max_attempts}"
            caught: Exception | None = None
            parsed: dict[str, Any] | None = None
            answer: _Answer | None = None
            try:
                status, raw_headers, content = await self._send(
                    request["method"], url, headers, body
                )
            except (
                ConnectTimeoutError,
                ReadTimeoutError,
                EndpointConnectionError,
                HTTPClientError,
            ) as exc:
                caught = exc
            else:
                answer = _Answer(status, raw_headers)
                response = {"status_code": status, "headers": raw_headers, "body": content}
                parsed = await self.parser.parse(response, op.output_shape)
                if status < 300:
                    self._quota.release_retry_quota(request_context, answer)
                    assert parsed is not None
                    return parsed
            context = standard.RetryContext(
                attempt_number=attempt,
                operation_model=op,
                parsed_response=parsed,
                http_response=answer,
                caught_exception=caught,
                request_context=request_context,
            )
            if self._policy.should_retry(context) and self._quota.acquire_retry_quota(context):
                await asyncio.sleep(self._policy.compute_retry_delay(context))
                attempt += 1
                continue
            if caught is not None:
                raise caught
            assert parsed is not None
            # botocore's client raises the modeled class for the code (a ClientError).
            error = parsed.get("Error", {})
            code = error.get("QueryErrorCode") or error.get("Code")
            raise self.client.exceptions.from_code(code)(parsed, op.name)

    async def _send(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP exchange; aiohttp's failures as the botocore exceptions aiobotocore raises."""
        try:
            async with self._http().request(
                method, yarl.URL(url, encoded=True), headers=headers, data=body or None
            ) as resp:
                content = await resp.read()
                raw = {k.lower(): v for k, v in resp.headers.items()}
                return resp.status, raw, content
        except aiohttp.ServerTimeoutError as exc:
            if isinstance(exc, aiohttp.ConnectionTimeoutError):
                raise ConnectTimeoutError(endpoint_url=url, error=exc) from exc
            raise ReadTimeoutError(endpoint_url=url, error=exc) from exc
        except aiohttp.ClientConnectorError as exc:
            raise EndpointConnectionError(endpoint_url=url, error=exc) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            raise ConnectionClosedError(endpoint_url=url, request=None) from exc
        except aiohttp.ClientError as exc:
            raise HTTPClientError(error=exc) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class LeanClient:
    """The aiobotocore client's call surface (`await client.list_runs(**params)`), with the
    operations `LeanRestJson` serves taken the lean way and the rest (and `meta`) delegated."""

    def __init__(self, lean: LeanRestJson) -> None:
        self._lean = lean
        self.meta = lean.client.meta
        self._names = {botocore.xform_name(n): n for n in lean.model.operation_names}

    def __getattr__(self, name: str) -> Any:
        operation = self._names.get(name)
        op = self._lean.operation(operation) if operation is not None else None
        if op is None:
            return getattr(self._lean.client, name)
        lean = self._lean

        async def call(**params: Any) -> dict[str, Any]:
            return await lean.call(op, params)

        setattr(self, name, call)  # found directly next time
        return call
