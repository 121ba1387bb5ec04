"""The AWS wire shared by the HealthOmics and DataZone providers: clients, validation, errors.

aiobotocore does SigV4, botocore's `standard` retry mode and response parsing; this module only
configures it per source and reads botocore's service model so bad input is refused before any
upstream call, with the model's own bounds. REST-JSON reads (HealthOmics, DataZone) go by
`lean.LeanRestJson`: botocore's validator, serializer, retry policy and parser without its
event-driven client, signed with the key kept per day (lean.py, signing.py).
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar
from urllib.parse import urlsplit

import botocore.session
import botocore.utils
from aiobotocore.credentials import (
    AioAssumeRoleCredentialFetcher,
    AioDeferredRefreshableCredentials,
)
from aiobotocore.session import AioSession
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.loaders import Loader, create_loader

from gateway.clouds.answers import MalformedAnswer, malformed
from gateway.clouds.aws.lean import LeanClient, LeanRestJson
from gateway.clouds.aws.parsing import FastParserFactory
from gateway.config import LimitsConfig, SourceConfig
from gateway.errors import ErrorCode, GatewayError, UpstreamError, bad_input
from gateway.guards import SourceGuard
from gateway.observability import hooks as observe
from gateway.types import ProviderKind

T = TypeVar("T")

_THROTTLED = {
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceQuotaExceededException",
    "RequestLimitExceeded",
}
#: SQS (and STS) say `AccessDenied` where the JSON services say `AccessDeniedException`.
_FORBIDDEN = {"AccessDeniedException", "AccessDenied", "UnauthorizedException"}
_NOT_FOUND = {"ResourceNotFoundException"}
_TIMEOUT = {"RequestTimeoutException"}
#: botocore's `standard` retry mode: the first try and two retries.
_MAX_ATTEMPTS = 3


@cache
def shared_loader() -> Loader:
    """One botocore data loader for every session of the process (its caches included).

    Each botocore session otherwise reads and decodes its own copy of the endpoint and
    partition tables and of the service model (~0.1-0.2 s of CPU and megabytes per source's
    client); they are read-only data, the same for every session.
    """
    data_path = botocore.session.get_session().get_config_variable("data_path")
    return create_loader(data_path)


@cache
def service_model(service: str) -> Any:
    """botocore's model of a service: the truth for shapes, bounds, enums and errors."""
    session = botocore.session.get_session()
    session.register_component("data_loader", shared_loader())
    return session.get_service_model(service)


def _compile(pattern: str) -> re.Pattern[str] | None:
    # botocore's `\p{..}` classes mean "any printable"; Python's re lacks them, so skip those.
    if "\\p{" in pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


def validate(service: str, operation: str, params: dict[str, Any]) -> None:
    """Refuse what the service would refuse (length, range, pattern, enum), naming the input."""
    shape = service_model(service).operation_model(operation).input_shape
    for name, value in params.items():
        member = shape.members.get(name)
        if member is None or value is None:
            continue
        meta = member.metadata
        if isinstance(value, str):
            if "min" in meta and len(value) < meta["min"]:
                raise bad_input(f"`{name}` must be at least {meta['min']} characters")
            if "max" in meta and len(value) > meta["max"]:
                raise bad_input(f"`{name}` must be at most {meta['max']} characters")
            enum = meta.get("enum")
            if enum and value not in enum:
                raise bad_input(f"`{name}` must be one of {', '.join(enum)}")
            pattern = _compile(meta["pattern"]) if "pattern" in meta else None
            if pattern is not None and not pattern.fullmatch(value):
                raise bad_input(f"`{name}` must match {meta['pattern']}")
        elif isinstance(value, int) and not isinstance(value, bool):
            if "min" in meta and value < meta["min"]:
                raise bad_input(f"`{name}` must be at least {meta['min']}")
            if "max" in meta and value > meta["max"]:
                raise bad_input(f"`{name}` must be at most {meta['max']}")


def map_error(
    exc: BaseException, source: str, provider: ProviderKind, *, paging: bool = False
) -> GatewayError:
    """One botocore failure → one typed error; upstream messages are not passed through."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "Unknown"))
        request_id = exc.response.get("ResponseMetadata", {}).get("RequestId")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _NOT_FOUND:
            ours, msg = ErrorCode.NOT_FOUND, "not found upstream"
        elif code in _THROTTLED or status == 429:
            ours, msg = ErrorCode.THROTTLED, "upstream is throttling requests"
        elif code in _FORBIDDEN:
            ours, msg = ErrorCode.FORBIDDEN, "the gateway's upstream role may not read this"
        elif code in _TIMEOUT:
            ours, msg = ErrorCode.UPSTREAM_TIMEOUT, "upstream timed out"
        elif code == "ValidationException" and paging:
            ours, msg = ErrorCode.CURSOR_EXPIRED, "upstream no longer accepts this cursor"
        elif code == "ValidationException":
            ours, msg = ErrorCode.BAD_USER_INPUT, "upstream rejected the request's arguments"
        else:
            ours, msg = ErrorCode.UPSTREAM_UNAVAILABLE, "upstream failed to answer"
        return UpstreamError(
            msg,
            ours,
            source=source,
            provider=provider,
            upstream_code=code,
            request_id=request_id,
        )
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError | TimeoutError):
        return UpstreamError(
            "upstream timed out", ErrorCode.UPSTREAM_TIMEOUT, source=source, provider=provider
        )
    if isinstance(exc, EndpointConnectionError | BotoCoreError | OSError):
        return UpstreamError(
            "upstream unreachable",
            ErrorCode.UPSTREAM_UNAVAILABLE,
            source=source,
            provider=provider,
        )
    raise exc


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 (what REST-JSON services send) by the stdlib; anything else as botocore does.

    botocore parses every timestamp through dateutil's generic parser, ~70 µs each: a page of
    100 tasks carries 300 of them, so it dominated a cold tree. `fromisoformat` takes ~1 µs.
    """
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    result: datetime = botocore.utils.parse_timestamp(value)
    return result


class AwsWire:
    """One aiobotocore client for one source, with its account's concurrency cap and timeout."""

    def __init__(
        self,
        config: SourceConfig,
        limits: LimitsConfig,
        service: str,
        gate: asyncio.Semaphore,
        *,
        kind: ProviderKind,
        session: AioSession | None = None,
        guard: SourceGuard | None = None,
    ) -> None:
        self.config = config
        self.service = service
        self.kind = kind
        self._limits = limits
        self._gate = gate
        self.guard = guard or SourceGuard(config, limits, kind=kind)
        self._session = session or AioSession(profile=config.profile)
        self._session.register_component("data_loader", shared_loader())
        parsers = FastParserFactory()
        parsers.set_parser_defaults(timestamp_parser=parse_timestamp)
        self._session.register_component("response_parser_factory", parsers)
        self._parsers = parsers
        self._stack = AsyncExitStack()
        self._client: Any = None
        self._lean: LeanRestJson | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Any:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await self._open()
        return self._client

    async def _open(self) -> Any:
        cfg = Config(
            # total_max_attempts counts the first try (max_attempts would mean 3 retries: 4 calls).
            retries={"mode": "standard", "total_max_attempts": _MAX_ATTEMPTS},
            connect_timeout=min(5.0, self._limits.upstream_timeout_seconds),
            read_timeout=self._limits.upstream_timeout_seconds,
            max_pool_connections=max(10, self._limits.concurrency_per_account),
            # Run operations carry hostPrefix "workflows-": on a loopback endpoint it must go.
            inject_host_prefix=self.config.endpoint_url is None,
        )
        if self.config.role_arn:
            await self._assume_role()
        client = await self._stack.enter_async_context(
            self._session.create_client(
                self.service,
                region_name=self.config.region,
                endpoint_url=self.config.endpoint_url,
                config=cfg,
            )
        )
        # before-send fires once per HTTP attempt, botocore's retries included: the rate
        # limit counts what actually reaches upstream.
        client.meta.events.register("before-send", self._before_send)
        endpoint = client.meta.endpoint_url
        if client.meta.service_model.protocol != "rest-json" or (
            urlsplit(endpoint).scheme in botocore.utils.get_environ_proxies(endpoint)
        ):
            return client  # behind an HTTP(S)_PROXY: aiobotocore's proxy support, unchanged
        # REST-JSON reads take the lean path (lean.py says what it keeps of botocore and why);
        # the pacing is called per attempt there, as before-send would.
        self._lean = LeanRestJson(
            client,
            self._parsers.create_parser("rest-json"),
            self._session.get_credentials,
            self.guard.throttle,
            max_attempts=_MAX_ATTEMPTS,
            inject_host_prefix=cfg.inject_host_prefix,
        )
        return LeanClient(self._lean)

    async def _before_send(self, event_name: str, **kwargs: Any) -> None:
        await self.guard.throttle(event_name.rsplit(".", 1)[-1])

    async def _assume_role(self) -> None:
        """Multi-account setups: this source reads with its own role, refreshed before expiry."""
        base = await self._session.get_credentials()
        fetcher = AioAssumeRoleCredentialFetcher(
            # STS in the source's region (AWS's advice, and required with a configured STS
            # endpoint such as `AWS_ENDPOINT_URL_STS`: without a region botocore cannot sign).
            functools.partial(self._session.create_client, region_name=self.config.region),
            base,
            self.config.role_arn,
            extra_args={"RoleSessionName": f"runs-gateway-{self.config.name}"},
        )
        creds = AioDeferredRefreshableCredentials(fetcher.fetch_credentials, "assume-role")
        self._session._credentials = creds

    async def call(
        self,
        operation: str,
        invoke: Callable[[Any], Awaitable[T]],
        *,
        paging: bool = False,
    ) -> T:
        """Run one upstream call under the account's cap, the per-call timeout, the query's
        deadline and the source's breaker (see `SourceGuard`); observed (counted, timed,
        traced) once it holds the cap, so latency excludes queueing."""
        kind = self.kind

        async def attempt() -> T:
            client = await self.client()
            async with self._gate, observe.upstream_call(self.config.name, kind.value, operation):
                try:
                    async with asyncio.timeout(self._limits.upstream_timeout_seconds * 3):
                        return await invoke(client)
                except (ClientError, BotoCoreError, OSError, TimeoutError) as exc:
                    raise map_error(exc, self.config.name, kind, paging=paging) from None
                except MalformedAnswer as exc:
                    raise malformed(self.config.name, kind, operation, str(exc)) from None

        return await self.guard.call(operation, attempt)

    async def aclose(self) -> None:
        if self._lean is not None:
            await self._lean.aclose()
            self._lean = None
        await self._stack.aclose()
        self._client = None


class AwsProvider:
    """What every AWS provider shares: one source and its wire. Subclasses name the `kind`
    and the botocore `service`, and add their listings and records."""

    kind: ProviderKind
    service: str

    def __init__(
        self,
        config: SourceConfig,
        limits: LimitsConfig,
        gate: asyncio.Semaphore,
        guard: SourceGuard | None = None,
    ):
        self.name = config.name
        self.config = config
        self.limits, self.gate = limits, gate
        self.wire = AwsWire(config, limits, self.service, gate, kind=self.kind, guard=guard)

    async def aclose(self) -> None:
        await self.wire.aclose()
