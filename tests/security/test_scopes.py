"""The `logs` grant: from API key config and from a JWT's scopes claim; nothing else grants it."""

from __future__ import annotations

import time

import jwt
import pytest

from gateway.config import AuthConfig, JwtConfig
from gateway.security.auth import ANONYMOUS, Authenticator, hash_key

SECRET = "jwt-hmac-secret-for-scope-tests-0123456789"


def jwt_auth(claim: str = "scopes") -> Authenticator:
    cfg = JwtConfig(key=SECRET, algorithms=["HS256"], scopes_claim=claim)
    return Authenticator(AuthConfig(mode="jwt", jwt=cfg))


def token(**claims: object) -> str:
    body = {"sub": "alice", "exp": int(time.time()) + 60, "sources": ["*"], **claims}
    return jwt.encode(body, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("claims", "granted"),
    [
        ({"scopes": ["logs"]}, True),
        ({"scopes": "read logs"}, True),
        ({"scopes": ["read"]}, False),
        ({"scopes": 7}, False),
        ({}, False),
    ],
)
async def test_jwt_scopes_claim(claims: dict[str, object], granted: bool) -> None:
    principal = await jwt_auth().authenticate(token(**claims))
    assert principal.may("logs") is granted


async def test_the_claim_name_is_configurable() -> None:
    principal = await jwt_auth("perms").authenticate(token(perms=["logs"], scopes=[]))
    assert principal.may("logs")


async def test_api_key_scopes() -> None:
    keys = [
        {
            "name": "reader",
            "sha256": hash_key("rgw_reader-key"),
            "sources": ["*"],
            "scopes": ["logs"],
        },
        {"name": "plain", "sha256": hash_key("rgw_plain-key"), "sources": ["*"]},
    ]
    auth = Authenticator(AuthConfig.model_validate({"mode": "api_key", "api_keys": keys}))
    assert (await auth.authenticate("rgw_reader-key")).may("logs")
    assert not (await auth.authenticate("rgw_plain-key")).may("logs")
    assert ANONYMOUS.may("logs")  # [auth] mode = "none": every grant


def test_unknown_scopes_are_refused_in_config() -> None:
    with pytest.raises(ValueError, match="logs"):
        AuthConfig.model_validate(
            {
                "mode": "api_key",
                "api_keys": [{"name": "x", "sha256": "0" * 64, "sources": [], "scopes": ["all"]}],
            }
        )
