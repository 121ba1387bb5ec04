"""Security fixtures: keys, JWT signers (static key and a JWKS served on loopback), and a
gateway whose every response is scanned for secrets when the test ends."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.app import create_app
from gateway.emulator.aws.sigv4 import DEMO_SECRET_ACCESS_KEY
from gateway.emulator.server import LoopbackServer
from gateway.graph.ids import global_id
from gateway.security.auth import hash_key
from tests.conftest import CURSOR_KEY, HO_SOURCE, Upstreams, settings_for

OTHER_SOURCE = "aws2"
KEY_A = "rgw_key-a-0123456789abcdefghijklmnopqrstuvwxyzAB"  # granted HO_SOURCE
KEY_B = "rgw_key-b-0123456789abcdefghijklmnopqrstuvwxyzAB"  # granted OTHER_SOURCE
KEY_ALL = "rgw_key-all-0123456789abcdefghijklmnopqrstuvwxyz"  # granted "*"
HMAC_SECRET = "jwt-hmac-secret-for-tests-0123456789abcdef"
ISSUER = "https://issuer.test"
AUDIENCE = "runs-gateway"
KID = "test-key-1"

API_KEYS = [
    {"name": "lab-a", "sha256": hash_key(KEY_A), "sources": [HO_SOURCE]},
    {"name": "lab-b", "sha256": hash_key(KEY_B), "sources": [OTHER_SOURCE]},
    {"name": "ops", "sha256": hash_key(KEY_ALL), "sources": ["*"]},
]


def two_sources(url: str) -> list[dict[str, Any]]:
    """Two HealthOmics sources over the same emulator: same data, separately granted."""
    return [
        {"name": name, "provider": "healthomics", "region": "us-east-1", "endpoint_url": url}
        for name in (HO_SOURCE, OTHER_SOURCE)
    ]


@dataclass
class Signer:
    """Mints JWTs with one private key; `pem` is the private key (a secret to scan for)."""

    key: Any
    algorithm: str
    pem: str = ""

    def token(self, *, sub: str = "alice", sources: Any = None, **claims: Any) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "sub": sub,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 600,
            "sources": [HO_SOURCE] if sources is None else sources,
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.key, algorithm=self.algorithm, headers={"kid": KID})


def _rsa_signer() -> Signer:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return Signer(private, "RS256", pem)


@pytest.fixture(scope="session")
def rsa_signer() -> Signer:
    return _rsa_signer()


@pytest.fixture(scope="session")
def rogue_signer() -> Signer:
    """Another RSA key claiming the same `kid`: its signatures must not verify."""
    return _rsa_signer()


@pytest.fixture(scope="session")
def jwks_url(rsa_signer: Signer) -> Iterator[str]:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_signer.key.public_key(), as_dict=True)
    jwk.update({"kid": KID, "use": "sig", "alg": "RS256"})

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse({"keys": [jwk]})

    with LoopbackServer(Starlette(routes=[Route("/jwks.json", jwks)])) as srv:
        yield f"{srv.url}/jwks.json"


def secrets_of(signers: list[Signer]) -> list[str]:
    found = [KEY_A, KEY_B, KEY_ALL, HMAC_SECRET, CURSOR_KEY, DEMO_SECRET_ACCESS_KEY]
    return found + [s.pem for s in signers if s.pem]


@dataclass
class Secured:
    """A gateway under some `[auth]`, recording every response body it sends."""

    client: httpx.AsyncClient
    app: Any
    upstreams: Upstreams
    bodies: list[str] = field(default_factory=list)

    async def post(
        self, query: str, *, headers: dict[str, str] | None = None, **variables: Any
    ) -> httpx.Response:
        resp = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
        )
        self.bodies.append(resp.text)
        return resp

    async def query(self, query: str, key: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"X-API-Key": key} if key else {}
        body: dict[str, Any] = (await self.post(query, headers=headers, **variables)).json()
        return body

    def calls(self) -> dict[str, int]:
        return self.upstreams.emulator.calls.counts()


@dataclass
class Recorder:
    """Every response of one test, scanned for secrets and emulator tokens at teardown."""

    gateways: list[Secured] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


@pytest.fixture
def recorder(upstreams: Upstreams, rsa_signer: Signer, rogue_signer: Signer) -> Iterator[Recorder]:
    rec = Recorder()
    yield rec
    bodies = [b for g in rec.gateways for b in g.bodies] + rec.extra
    leaks = secrets_of([rsa_signer, rogue_signer]) + upstreams.emulator.calls.tokens()
    for body in bodies:
        assert "Traceback" not in body and 'File "' not in body
        for secret in leaks:
            assert secret not in body, (
                f"a response carries a secret or upstream token: {body[:200]}"
            )


async def open_secured(
    upstreams: Upstreams, recorder: Recorder, **overrides: Any
) -> AsyncIterator[Secured]:
    overrides.setdefault("sources", two_sources(upstreams.url))
    overrides.setdefault("auth", {"mode": "api_key", "api_keys": API_KEYS})
    settings = settings_for(upstreams.url, **overrides)
    upstreams.emulator.faults.reset(quotas=False)
    upstreams.emulator.calls.clear()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            secured = Secured(client, app, upstreams)
            recorder.gateways.append(secured)
            yield secured
    upstreams.emulator.faults.reset(quotas=False)


@pytest.fixture
async def keyed(upstreams: Upstreams, recorder: Recorder) -> AsyncIterator[Secured]:
    """`[auth] mode = "api_key"` with KEY_A → aws, KEY_B → aws2, KEY_ALL → everything."""
    async for gw in open_secured(upstreams, recorder):
        yield gw


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def run_ids(upstreams: Upstreams, status: str = "COMPLETED") -> list[str]:
    return [
        str(r["id"]) for r in upstreams.emulator.healthomics.all_runs() if r["status"] == status
    ]


def a_run_gid(upstreams: Upstreams, source: str) -> str:
    return global_id("HealthOmicsRun", source, run_ids(upstreams)[0])
