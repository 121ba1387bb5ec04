"""The Tencent Cloud wire: the official async SDK client per source, retries, rates and errors.

The SDK does TC3 signing, the `{"Response": …}` envelope and error parsing; this module adds
what it leaves to callers: credentials from the standard chain (never from our config), the
per-account rate limit, jittered retries for exactly the codes the SDK's StandardRetryer retries
(its own retryer is off by default and does not jitter), a bounded time budget, and one typed
error per failure.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
from typing import Any
from urllib.parse import urlsplit

import httpx
from tencentcloud.common.credential import (
    Credential,
    DefaultCredentialProvider,
    ProfileCredential,
)
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.retry_async import StandardRetryer
from tencentcloud.omics.v20221128 import models, omics_client_async

from gateway.clouds.tencent.states import KIND
from gateway.config import LimitsConfig, SourceConfig
from gateway.errors import ErrorCode, GatewayError, UpstreamError
from gateway.guards import SourceGuard
from gateway.observability import hooks as observe
from gateway.ratelimit.rolling import RollingWindowRateLimiter

log = logging.getLogger(__name__)
_KIND = KIND.value

MAX_ATTEMPTS = 3
BACKOFF_BASE = 0.1
BACKOFF_CAP = 2.0


#: Code families, by prefix before the first dot (`ResourceNotFound.RunNotExist` → NOT_FOUND).
_FAMILIES: dict[str, tuple[ErrorCode, str]] = {
    "ResourceNotFound": (ErrorCode.NOT_FOUND, "not found upstream"),
    "InvalidParameter": (ErrorCode.BAD_USER_INPUT, "upstream rejected the request's arguments"),
    "InvalidParameterValue": (
        ErrorCode.BAD_USER_INPUT,
        "upstream rejected the request's arguments",
    ),
    "MissingParameter": (ErrorCode.BAD_USER_INPUT, "upstream rejected the request's arguments"),
    "UnknownParameter": (ErrorCode.BAD_USER_INPUT, "upstream rejected the request's arguments"),
    "LimitExceeded": (ErrorCode.BAD_USER_INPUT, "upstream rejected the request's arguments"),
    "RequestLimitExceeded": (ErrorCode.THROTTLED, "upstream is throttling requests"),
    "OperationDenied": (ErrorCode.FORBIDDEN, "upstream denied the operation"),
    "UnauthorizedOperation": (
        ErrorCode.FORBIDDEN,
        "the gateway's upstream identity may not read this",
    ),
    "InternalError": (ErrorCode.UPSTREAM_UNAVAILABLE, "upstream failed to answer"),
    "FailedOperation": (ErrorCode.UPSTREAM_UNAVAILABLE, "upstream failed to answer"),
    "ResourceUnavailable": (ErrorCode.UPSTREAM_UNAVAILABLE, "upstream failed to answer"),
    "ServerNetworkError": (ErrorCode.UPSTREAM_UNAVAILABLE, "upstream unreachable"),
    "ClientNetworkError": (ErrorCode.UPSTREAM_UNAVAILABLE, "upstream unreachable"),
}
#: AuthFailure.* is the gateway's own credentials failing (signature, secret id, token), not the
#: client's; only a CAM denial means "this identity may not read it".
_AUTH_DENIED = {"AuthFailure.UnauthorizedOperation", "AuthFailure.MFAFailure"}


def map_sdk_error(exc: BaseException, source: str) -> GatewayError:
    """One SDK or transport failure → one typed error; upstream messages are not passed through."""
    if isinstance(exc, TencentCloudSDKException):
        code = str(exc.get_code() or "Unknown")
        family = code.split(".", 1)[0]
        if code in _AUTH_DENIED:
            ours, msg = ErrorCode.FORBIDDEN, "the gateway's upstream identity may not read this"
        elif family == "AuthFailure":
            ours, msg = ErrorCode.UPSTREAM_UNAVAILABLE, "upstream refused the gateway's credentials"
        elif family in _FAMILIES:
            ours, msg = _FAMILIES[family]
        elif code == "ClientSideError":
            ours, msg = ErrorCode.UPSTREAM_UNAVAILABLE, "no Tencent Cloud credentials found"
        else:
            ours, msg = ErrorCode.UPSTREAM_UNAVAILABLE, "upstream failed to answer"
        return UpstreamError(
            msg,
            ours,
            source=source,
            provider=KIND,
            upstream_code=code,
            request_id=exc.get_request_id() or None,
        )
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return UpstreamError(
            "upstream timed out", ErrorCode.UPSTREAM_TIMEOUT, source=source, provider=KIND
        )
    if isinstance(exc, httpx.HTTPError | OSError):
        return UpstreamError(
            "upstream unreachable", ErrorCode.UPSTREAM_UNAVAILABLE, source=source, provider=KIND
        )
    raise exc


async def retryable(exc: BaseException) -> bool:
    """Exactly what the SDK's StandardRetryer retries: network errors and RequestLimitExceeded
    with its account-level sub-codes; never InternalError."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return True
    return bool(await StandardRetryer.should_retry(None, exc))


def resolve_credential() -> Any:
    """The standard chain: env (with an optional session token), the credentials file, then the
    SDK's default provider (CVM role, TKE OIDC). May touch the network: call off the loop."""
    secret_id = os.environ.get("TENCENTCLOUD_SECRET_ID")
    secret_key = os.environ.get("TENCENTCLOUD_SECRET_KEY")
    if secret_id and secret_key:
        token = os.environ.get("TENCENTCLOUD_SESSION_TOKEN") or None
        return Credential(secret_id, secret_key, token)
    found = ProfileCredential().get_credential()
    if found is not None:
        return found
    return DefaultCredentialProvider().get_credentials()


def http_profile(endpoint_url: str | None, timeout: float) -> HttpProfile:
    """`http://127.0.0.1:PORT` → HttpProfile(protocol="http", endpoint="127.0.0.1:PORT")."""
    if endpoint_url is None:
        return HttpProfile(reqTimeout=timeout, keepAlive=True)
    parts = urlsplit(endpoint_url)
    return HttpProfile(
        protocol=parts.scheme or "https",
        endpoint=parts.netloc or parts.path,
        reqTimeout=timeout,
        keepAlive=True,
    )


class TencentWire:
    """One `omics_client_async.OmicsClient` for one source, opened on first use."""

    def __init__(
        self,
        config: SourceConfig,
        limits: LimitsConfig,
        gate: asyncio.Semaphore,
        limiter: RollingWindowRateLimiter,
        guard: SourceGuard | None = None,
    ) -> None:
        self.config = config
        self._limits = limits
        self._gate = gate
        self._limiter = limiter
        self._guard = guard
        self._client: Any = None
        self._lock = asyncio.Lock()

    async def client(self) -> Any:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await self._open()
        return self._client

    async def _open(self) -> Any:
        try:
            credential = await asyncio.to_thread(resolve_credential)
        except TencentCloudSDKException as exc:
            raise map_sdk_error(exc, self.config.name) from None
        profile = ClientProfile(
            httpProfile=http_profile(
                self.config.endpoint_url, self._limits.upstream_timeout_seconds
            ),
            language="en-US",
        )
        return omics_client_async.OmicsClient(credential, self.config.region, profile)

    async def call(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """One upstream action with retries, under the account's rate, cap and time budget.

        Returns the `Response` object as upstream named it, without `RequestId`. The source's
        guard (breaker, query deadline) wraps the whole retry loop; the pacing is our own
        rolling window, held for the whole call.
        """
        if self._guard is None:
            return await self._call(action, params)
        return await self._guard.call(action, lambda: self._call(action, params))

    async def _call(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        client = await self.client()
        request = getattr(models, f"{action}Request")()
        request._deserialize(params)
        method = getattr(client, action)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._limits.upstream_timeout_seconds * 3
        account = self.config.account_key
        for attempt in range(MAX_ATTEMPTS):
            try:
                rate = self._limits.tencent_requests_per_second
                async with (
                    asyncio.timeout_at(deadline),
                    self._gate,
                    # Inside the gate, so a call leaves when its slot says (a queue at the gate
                    # would bunch calls together), and held until it is answered.
                    self._limiter.slot(f"{account}\x1f{action}", rate),
                    observe.upstream_call(self.config.name, _KIND, action),
                ):
                    response = await method(request)
                out: dict[str, Any] = json.loads(response.to_json_string())
                out.pop("RequestId", None)
                return out
            except (TencentCloudSDKException, httpx.HTTPError, OSError, TimeoutError) as exc:
                error: BaseException = exc
            delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
            last = attempt == MAX_ATTEMPTS - 1
            if last or not await retryable(error) or loop.time() + delay >= deadline:
                raise map_sdk_error(error, self.config.name) from None
            log.debug("source %s: %s retry %d after %r", self.config.name, action, attempt, error)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
