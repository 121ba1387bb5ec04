"""`gateway hash-key` makes keys the gateway accepts; `serve` bounds graceful shutdown."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from gateway import cli
from gateway.config import AuthConfig
from gateway.security.auth import Authenticator, hash_key


async def test_hash_key_prints_a_key_and_its_config_entry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["hash-key", "--name", "lab-a"]) == 0
    out = capsys.readouterr().out
    key = re.search(r"(rgw_\S+)", out)
    digest = re.search(r'sha256 = "([0-9a-f]{64})"', out)
    assert key and digest and hash_key(key.group(1)) == digest.group(1)
    assert key.group(1) not in out.split("config entry:")[1], "the entry holds the hash only"
    auth = AuthConfig(
        mode="api_key", api_keys=[{"name": "lab-a", "sha256": digest.group(1), "sources": ["*"]}]
    )
    principal = await Authenticator(auth).authenticate(key.group(1))
    assert principal.subject == "lab-a" and principal.sources is None


def test_serve_bounds_graceful_shutdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    config = tmp_path / "gateway.toml"
    config.write_text('[auth]\nmode = "none"\n[limits]\nshutdown_grace_seconds = 7\n')
    assert cli.main(["serve", "--config", str(config)]) == 0
    assert seen["timeout_graceful_shutdown"] == 7
