"""One audit line per operation (who, sources, estimated and actual calls, outcome), no secrets;
untyped failures masked as INTERNAL with a request id."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from gateway.clouds.healthomics.provider import HealthOmicsProvider
from tests.security.conftest import KEY_A, Secured, codes, run_ids


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "gateway.audit"]


async def test_one_audit_line_per_query(keyed: Secured, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gateway.audit")
    run = run_ids(keyed.upstreams)[0]
    await keyed.query(
        f'{{ run(source: "aws", id: "{run}") {{ name tasks(first: 3) {{ edges {{ cursor }} }} }}'
        ' no: batches(source: "aws2", first: 1) { edges { cursor } } }',
        KEY_A,
    )
    await keyed.query("{ sources { name } }", "rgw_wrong-key")
    first, refused = audit_lines(caplog)
    assert first["principal"] == "lab-a" and first["auth"] == "api_key"
    assert first["sources"] == ["aws"] and first["refusedSources"] == ["aws2"]
    assert first["estimatedUpstreamCalls"] == 3  # GetRun, ListRunTasks, ListBatch
    assert first["upstreamCalls"] == 2
    assert first["outcome"] == "partial" and first["errorCodes"] == ["FORBIDDEN"]
    assert refused["outcome"] == "refused" and refused["errorCodes"] == ["UNAUTHENTICATED"]
    text = caplog.text
    assert KEY_A not in text and "rgw_wrong-key" not in text


async def test_a_kept_answer_is_audited_and_charged_too(
    keyed: Secured, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.audit")
    run = run_ids(keyed.upstreams)[0]
    query = (
        f'query Peek {{ run(source: "aws", id: "{run}") {{ name tasks(first: 3) '
        "{ edges { cursor } } } }"
    )
    first = await keyed.query(query, KEY_A)
    keyed.upstreams.emulator.calls.clear()
    again = await keyed.query(query, KEY_A)
    assert again == first and keyed.calls() == {}, "served from the kept answers"
    executed, kept = audit_lines(caplog)
    assert executed["upstreamCalls"] == 2 and "kept" not in executed
    assert kept["kept"] is True and kept["upstreamCalls"] == 0
    assert kept["principal"] == "lab-a" and kept["sources"] == ["aws"]
    assert kept["estimatedUpstreamCalls"] == executed["estimatedUpstreamCalls"]
    # Named by the document (no operationName sent), as the executed answer was.
    assert kept["operation"] == executed["operation"] == "Peek"


async def test_untyped_failures_are_masked_with_a_request_id(
    keyed: Secured, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(self: HealthOmicsProvider, run_id: str) -> Any:
        raise RuntimeError(f"leaked detail {KEY_A}")

    monkeypatch.setattr(HealthOmicsProvider, "get_run", boom)
    caplog.set_level(logging.ERROR, logger="gateway.errors")
    body = await keyed.query(
        f'{{ run(source: "aws", id: "{run_ids(keyed.upstreams)[0]}") {{ name }} }}', KEY_A
    )
    assert codes(body) == ["INTERNAL"]
    request_id = body["errors"][0]["extensions"]["requestId"]
    assert body["errors"][0]["message"] == "internal error"
    logged = [r for r in caplog.records if r.name == "gateway.errors"]
    assert logged and request_id in logged[0].getMessage() and logged[0].exc_info
