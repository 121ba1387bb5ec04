"""The command line: schema export stays in sync; config errors name the bad keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.clouds.registry import DEFAULT_CLOUDS
from gateway.config import ConfigError, load_settings
from gateway.schema import export_sdl

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_is_the_exported_schema() -> None:
    assert (ROOT / "schema.graphql").read_text() == export_sdl(DEFAULT_CLOUDS), (
        "schema.graphql is stale: run `gateway export-schema > schema.graphql`"
    )


def test_python_m_gateway_exports_the_schema() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gateway", "export-schema"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.stdout == export_sdl(DEFAULT_CLOUDS)


FULL = """
[[sources]]
name = "lab-aws"
provider = "healthomics"
region = "eu-west-1"
role_arn = "arn:aws:iam::123456789012:role/runs-gateway-read"
account = "123456789012"

[[sources]]
name = "lab-tencent"
provider = "tencent-omics"
region = "ap-guangzhou"
project_id = "prj-abc"

[[sources]]
name = "lab-dz"
provider = "datazone"
region = "us-east-1"
domain_id = "dzd_abc123"

[auth]
mode = "none"

[graphql]
playground = false
introspection = false

[cursors]
keys = ["k2", "k1"]

[cache]
page_ttl_seconds = 10

[limits]
concurrency_per_account = 8
"""


def test_full_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(FULL)
    settings = load_settings(path)
    assert [s.provider for s in settings.sources] == [c.kind.value for c in DEFAULT_CLOUDS]
    assert settings.sources[0].account_key == "123456789012"
    assert settings.sources[1].account_key == "source:lab-tencent"
    assert settings.cursors.keys == ["k2", "k1"]


def test_unknown_keys_are_named(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(
        FULL.replace('mode = "none"', 'mode = "none"\ncolour = "blue"').replace(
            'region = "eu-west-1"', 'region = "eu-west-1"\nregoin = "x"'
        )
    )
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert "auth.colour" in str(err.value)
    # A source's keys are its cloud's to name: checked against the registry when the app is built.
    path.write_text(FULL.replace('region = "eu-west-1"', 'region = "eu-west-1"\nregoin = "x"'))
    with pytest.raises(ConfigError) as err:
        DEFAULT_CLOUDS.validate(load_settings(path))
    assert "sources.0.regoin" in str(err.value)


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(FULL)
    monkeypatch.setenv("GATEWAY_LIMITS__CONCURRENCY_PER_ACCOUNT", "3")
    monkeypatch.setenv("GATEWAY_GRAPHQL__PLAYGROUND", "true")
    settings = load_settings(path)
    assert settings.limits.concurrency_per_account == 3
    assert settings.graphql.playground is True
    assert settings.graphql.introspection is False


def test_serve_with_a_bad_config_exits_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[sources]]\nname = "x"\nprovider = "azure"\nregion = "r"\n')
    out = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 2
    assert "sources.0.provider" in out.stderr
