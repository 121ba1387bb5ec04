"""graphql-http's `auditServer` (the GraphQL-over-HTTP spec's own conformance audit, its
reference server scores 61 of 61) against a real gateway on loopback: no failure, no warning.

The npm packages are pinned in tests/http/js (package-lock.json; `scripts/test.sh` runs
`npm ci`).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from gateway.app import create_app
from gateway.emulator.server import LoopbackServer
from tests.conftest import Upstreams, settings_for

JS = Path(__file__).resolve().parent / "js"


def test_graphql_http_audit_passes_every_audit(upstreams: Upstreams) -> None:
    assert (JS / "node_modules" / "graphql-http").is_dir(), (
        "npm packages missing: run `npm ci` in tests/http/js (scripts/test.sh does)"
    )
    with LoopbackServer(create_app(settings_for(upstreams.url))) as server:
        done = subprocess.run(
            ["node", "audit.mjs", f"{server.url}/graphql"],
            cwd=JS,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    results = json.loads(done.stdout)
    assert len(results) == 61, len(results)
    failing = [r for r in results if r["status"] != "ok"]
    assert not failing, json.dumps(failing, indent=1)
