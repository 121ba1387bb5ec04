"""Every nullable field says what its null means, as a client sees it: by introspection over HTTP
from a real gateway on loopback."""

from __future__ import annotations

import httpx

from gateway.app import create_app
from gateway.emulator.server import LoopbackServer
from tests.conftest import Upstreams, settings_for

INTROSPECT = """
{ __schema { types { name kind
    fields { name description type { kind } } } } }
"""


def test_every_nullable_field_has_a_description(upstreams: Upstreams) -> None:
    with LoopbackServer(create_app(settings_for(upstreams.url))) as server:
        body = httpx.post(f"{server.url}/graphql", json={"query": INTROSPECT}, timeout=30).json()
    types = [t for t in body["data"]["__schema"]["types"] if not t["name"].startswith("_")]
    fields = {
        f"{t['name']}.{f['name']}": f
        for t in types
        if t["kind"] in ("OBJECT", "INTERFACE")
        for f in t["fields"]
    }
    silent = [
        name
        for name, f in fields.items()
        if f["type"]["kind"] != "NON_NULL" and not f["description"]
    ]
    assert not silent, silent
    for connection in ("BatchConnection", "BatchRunConnection", "RunConnection", "TaskConnection"):
        assert (
            "null when the upstream does not report a total"
            in (fields[f"{connection}.totalCount"]["description"])
        )
    assert "deleted" in fields["Run.tasks"]["description"]
    assert "empty" in fields["PageInfo.endCursor"]["description"]
