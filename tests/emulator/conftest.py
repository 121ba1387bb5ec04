"""Shared fixtures: one `small` emulator served on loopback for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.config import Config

from gateway.emulator.app import Emulator, create_emulator
from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.server import LoopbackServer

REGION = "us-east-1"


@dataclass
class Served:
    """A running emulator: `url` to call, `emulator` for ground truth and knobs."""

    url: str
    emulator: Emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[Served]:
    emu = create_emulator(seed=7, scale="small")
    with LoopbackServer(emu.app) as srv:
        yield Served(srv.url, emu)


@pytest.fixture(autouse=True)
def _reset_emulator(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with default faults and an empty call log (only if it uses the server)."""
    if "emulator" not in request.fixturenames:
        yield
        return
    served: Served = request.getfixturevalue("emulator")
    served.emulator.faults.reset(quotas=served.emulator.quotas)
    served.emulator.calls.clear()
    yield
    served.emulator.faults.reset(quotas=served.emulator.quotas)
    served.emulator.calls.clear()


def client_config(**overrides: Any) -> Config:
    """Loopback-safe client config: no host prefix, no retries unless asked."""
    options: dict[str, Any] = {
        "inject_host_prefix": False,
        "retries": {"mode": "standard", "total_max_attempts": 1},
        "connect_timeout": 5,
        "read_timeout": 10,
    }
    options.update(overrides)
    return Config(**options)


def aws_client(
    served: Served,
    service: str,
    *,
    key: str = DEMO_ACCESS_KEY_ID,
    secret: str = DEMO_SECRET_ACCESS_KEY,
    region: str = REGION,
    **config: Any,
) -> Any:
    """A real boto3 client pointed at the emulator with the demo credentials."""
    return boto3.session.Session().client(
        service,
        endpoint_url=served.url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=client_config(**config),
    )


@pytest.fixture(scope="session")
def omics(emulator: Served) -> Any:
    return aws_client(emulator, "omics")


@pytest.fixture(scope="session")
def datazone(emulator: Served) -> Any:
    return aws_client(emulator, "datazone")


def strip_none(value: Any) -> Any:
    """Ground truth without absent members, as botocore's parser leaves them out."""
    if isinstance(value, dict):
        return {k: strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_none(v) for v in value]
    return value


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}
