"""Who is asking: API keys (hashed in config) and JWT bearer tokens (PyJWT), to a `Principal`.

A principal is a name for the audit log and the set of sources it may read. Verification never
says why a credential failed beyond "missing" / "invalid" / "expired", so a stranger learns
nothing about which keys or issuers exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from gateway.config import AuthConfig, JwtConfig
from gateway.errors import ErrorCode, GatewayError

log = logging.getLogger(__name__)

KEY_PREFIX = "rgw_"


@dataclass(frozen=True)
class Principal:
    """An authenticated client: `subject` (key name or JWT `sub`), its sources (None = all)."""

    subject: str
    sources: frozenset[str] | None
    kind: str = "anonymous"
    expires_at: float | None = None
    #: Extra grants (`logs`); None = every grant (no authentication configured).
    scopes: frozenset[str] | None = None

    def may(self, scope: str) -> bool:
        """Whether this principal holds `scope` (e.g. `logs`)."""
        return self.scopes is None or scope in self.scopes

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and (now or time.time()) >= self.expires_at

    def ensure_fresh(self) -> None:
        """Raise UNAUTHENTICATED once the credential has expired (long-lived subscriptions)."""
        if self.expired():
            raise unauthenticated("the credential has expired")


ANONYMOUS = Principal("anonymous", None)


def unauthenticated(message: str) -> GatewayError:
    return GatewayError(message, ErrorCode.UNAUTHENTICATED)


def new_api_key() -> tuple[str, str]:
    """A fresh key and the hex SHA-256 that goes in config (`gateway hash-key`)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, hash_key(key)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _sources(granted: list[str]) -> frozenset[str] | None:
    return None if "*" in granted else frozenset(granted)


def credential_from_headers(headers: Mapping[str, str]) -> str | None:
    """`X-API-Key: …` or `Authorization: Bearer …`; header names in any case."""
    lowered = {k.lower(): v for k, v in headers.items()}
    key = lowered.get("x-api-key")
    if key:
        return key.strip()
    auth = lowered.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def credential_from_payload(payload: Mapping[str, Any]) -> str | None:
    """WebSocket `connection_init` payloads carry the same headers (at the top or under
    `headers`), or `apiKey` / `token`."""
    headers: dict[str, str] = {}
    nested = payload.get("headers")
    if isinstance(nested, Mapping):
        headers.update({str(k): v for k, v in nested.items() if isinstance(v, str)})
    headers.update({k: v for k, v in payload.items() if isinstance(v, str)})
    if isinstance(payload.get("apiKey"), str):
        headers["x-api-key"] = payload["apiKey"]
    if isinstance(payload.get("token"), str):
        headers["authorization"] = f"Bearer {payload['token']}"
    return credential_from_headers(headers)


class Authenticator:
    """Turns a presented credential into a `Principal` according to `[auth]`."""

    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self._keys = {k.sha256: k for k in config.api_keys}
        self._jwks: jwt.PyJWKClient | None = None
        if config.jwt is not None and config.jwt.jwks_url is not None:
            self._jwks = jwt.PyJWKClient(config.jwt.jwks_url, cache_keys=True, lifespan=300)

    @property
    def required(self) -> bool:
        return self.config.mode != "none"

    async def authenticate(self, credential: str | None) -> Principal:
        if self.config.mode == "none":
            return ANONYMOUS
        if not credential:
            raise unauthenticated("credentials required: X-API-Key or Authorization: Bearer")
        if self.config.mode == "api_key":
            return self._api_key(credential)
        assert self.config.jwt is not None
        return await self._jwt(credential, self.config.jwt)

    def _api_key(self, credential: str) -> Principal:
        if credential.startswith(KEY_PREFIX):
            digest = hash_key(credential)
            for stored, entry in self._keys.items():
                if hmac.compare_digest(stored, digest):
                    return Principal(
                        entry.name,
                        _sources(entry.sources),
                        "api_key",
                        scopes=frozenset(entry.scopes),
                    )
        raise unauthenticated("invalid credentials")

    async def _jwt(self, token: str, cfg: JwtConfig) -> Principal:
        if token.startswith(KEY_PREFIX):
            raise unauthenticated("invalid credentials")
        try:
            key: Any
            if self._jwks is not None:
                # PyJWKClient fetches with urllib (blocking); it caches the key set.
                signing = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                key = signing.key
            else:
                key = cfg.key
            claims = jwt.decode(
                token,
                key,
                algorithms=cfg.algorithms,
                audience=cfg.audience,
                issuer=cfg.issuer,
                leeway=cfg.leeway_seconds,
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise unauthenticated("the credential has expired") from None
        except (jwt.PyJWTError, ValueError) as exc:
            log.info("rejected a bearer token: %s", type(exc).__name__)
            raise unauthenticated("invalid credentials") from None
        granted = claims.get(cfg.sources_claim)
        if isinstance(granted, str):
            granted = granted.split()
        if not isinstance(granted, list) or not all(isinstance(s, str) for s in granted):
            granted = []
        scopes = claims.get(cfg.scopes_claim)
        if isinstance(scopes, str):
            scopes = scopes.split()
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            scopes = []
        return Principal(
            str(claims["sub"]),
            _sources(granted),
            "jwt",
            float(claims["exp"]),
            scopes=frozenset(scopes),
        )
