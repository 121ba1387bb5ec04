"""STS AssumeRole (query protocol, SigV4) and the identities every AWS request is signed with.

Multi-account sources assume a role per source (`role_arn`): botocore's assume-role fetcher
calls AssumeRole with the base credentials and signs every later call with the temporary ones,
refreshing them by the wall clock before their `Expiration`. Here the base (demo) credentials
belong to the default account; a role in another account the emulator knows yields temporary
credentials (access key, secret, session token) scoped to that account, so its sources see that
account's data, and refused once expired (`ExpiredToken`), as AWS does.
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from gateway.emulator.aws.sigv4 import (
    DEMO_ACCESS_KEY_ID,
    DEMO_SECRET_ACCESS_KEY,
    AuthError,
    verify,
)
from gateway.emulator.calls import CallLog

SERVICE = "sts"
_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/([\w+=,.@/-]{1,512})$")
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")


@dataclass(frozen=True)
class Identity:
    """Who a signing key belongs to; temporary ones carry a session token and an expiry."""

    access_key: str
    secret: str
    account: str
    token: str | None = None
    expires: datetime | None = None


class StsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Identities:
    """The base credentials plus every temporary credential issued, thread-safe."""

    def __init__(self, default_account: str) -> None:
        self.default_account = default_account
        self._lock = threading.Lock()
        self._by_key = {
            DEMO_ACCESS_KEY_ID: Identity(
                DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, default_account
            )
        }

    def secrets(self) -> dict[str, str]:
        with self._lock:
            return {k: i.secret for k, i in self._by_key.items()}

    def issue(self, account: str, lifetime: timedelta) -> Identity:
        identity = Identity(
            access_key="ASIA" + secrets.token_hex(8).upper(),
            secret=secrets.token_urlsafe(30),
            account=account,
            token=secrets.token_urlsafe(96),
            expires=datetime.now(UTC).replace(microsecond=0) + lifetime,
        )
        with self._lock:
            self._by_key[identity.access_key] = identity
        return identity

    def check(self, access_key: str, token: str | None, now: datetime | None = None) -> Identity:
        """The identity a verified signature belongs to, or the AuthError AWS would answer."""
        with self._lock:
            identity = self._by_key[access_key]
        if identity.token is not None and token != identity.token:
            raise AuthError(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        now = now or datetime.now(UTC)
        if identity.expires is not None and now >= identity.expires:
            raise AuthError(
                "ExpiredTokenException", "The security token included in the request is expired"
            )
        return identity


class StsService:
    """AssumeRole on `POST /` (form-encoded, `Action=AssumeRole`); other actions are refused."""

    def __init__(
        self,
        identities: Identities,
        known_account: Callable[[str], bool],
        calls: CallLog,
    ) -> None:
        self.identities = identities
        self.known_account = known_account
        self.calls = calls
        #: When set, every credential expires this long after issue whatever was asked: tests
        #: put Expiration inside botocore's refresh windows (15 and 10 minutes) this way.
        self.lifetime: timedelta | None = None

    @staticmethod
    def wants(request: Request) -> bool:
        """A request signed for STS (its credential scope names the service)."""
        return f"/{SERVICE}/aws4_request" in request.headers.get("authorization", "")

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        try:
            signed = verify(
                method=request.method,
                raw_path=request.url.path,
                raw_query=request.scope.get("query_string", b"").decode("latin-1"),
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]
                ],
                body=body,
                service=SERVICE,
                secrets=self.identities.secrets(),
            )
            caller = self.identities.check(
                signed.access_key, request.headers.get("x-amz-security-token")
            )
            params = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            action = params.get("Action", "")
            if action != "AssumeRole":
                raise StsError("InvalidAction", f"Could not find operation {action!r}")
            response = self._assume_role(caller, params)
        except AuthError as exc:
            response = _error(exc.code.removesuffix("Exception"), exc.message, exc.status)
        except StsError as exc:
            response = _error(exc.code, exc.message, exc.status)
        self.calls.record(SERVICE, "AssumeRole", response.status_code)
        return response

    def _assume_role(self, caller: Identity, params: dict[str, str]) -> Response:
        arn = params.get("RoleArn", "")
        name = params.get("RoleSessionName", "")
        match = _ROLE_ARN.match(arn)
        if match is None:
            raise StsError("ValidationError", f"{arn!r} is not a valid role ARN")
        if not _SESSION_NAME.match(name):
            raise StsError("ValidationError", "RoleSessionName must be 2-64 of [\\w+=,.@-]")
        try:
            duration = int(params.get("DurationSeconds", "3600"))
        except ValueError:
            raise StsError("ValidationError", "DurationSeconds must be a number") from None
        if not 900 <= duration <= 43200:
            raise StsError("ValidationError", "DurationSeconds must be between 900 and 43200")
        account = match.group(1)
        if not self.known_account(account):
            raise StsError(
                "AccessDenied",
                f"User: arn:aws:iam::{caller.account}:user/emulator is not authorized to perform: "
                f"sts:AssumeRole on resource: {arn}",
                403,
            )
        issued = self.identities.issue(account, self.lifetime or timedelta(seconds=duration))
        assert issued.expires is not None and issued.token is not None
        role = match.group(2).rsplit("/", 1)[-1]
        role_id = "AROA" + secrets.token_hex(8).upper()
        xml = (
            f'<AssumeRoleResponse xmlns="{_NS}"><AssumeRoleResult>'
            "<Credentials>"
            f"<AccessKeyId>{issued.access_key}</AccessKeyId>"
            f"<SecretAccessKey>{escape(issued.secret)}</SecretAccessKey>"
            f"<SessionToken>{escape(issued.token)}</SessionToken>"
            f"<Expiration>{issued.expires.strftime('%Y-%m-%dT%H:%M:%SZ')}</Expiration>"
            "</Credentials>"
            "<AssumedRoleUser>"
            f"<AssumedRoleId>{role_id}:{escape(name)}</AssumedRoleId>"
            f"<Arn>arn:aws:sts::{account}:assumed-role/{escape(role)}/{escape(name)}</Arn>"
            "</AssumedRoleUser>"
            "</AssumeRoleResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</AssumeRoleResponse>"
        )
        return Response(xml, media_type="text/xml")


def _error(code: str, message: str, status: int) -> Response:
    """The query protocol's error document, which botocore turns into a ClientError."""
    kind = "Sender" if status < 500 else "Receiver"
    xml = (
        f'<ErrorResponse xmlns="{_NS}"><Error><Type>{kind}</Type><Code>{escape(code)}</Code>'
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return Response(xml, status_code=status, media_type="text/xml")
