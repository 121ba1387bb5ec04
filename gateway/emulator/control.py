"""The unsigned `/_emulator/` control API: dataset ids, the clock, faults, calls, tokens, lists.

Tests and demos steer the emulator through it; its requests are never signed nor counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.emulator.faults import FAULT_FIELDS
from gateway.emulator.lists import lists_endpoint

if TYPE_CHECKING:
    from gateway.emulator.app import Emulator

SERVICES = frozenset({"omics", "datazone", "tencent"})


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


async def _json(request: Request) -> dict[str, Any]:
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


def control_app(emulator: Emulator) -> Starlette:
    """A sub-app mounted at `/_emulator` that reads and steers `emulator`."""

    async def dataset(request: Request) -> Response:
        return JSONResponse(emulator.dataset())

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                seconds = float((await _json(request)).get("advance", 0))
                emulator.clock.advance(seconds)
            except (ValueError, TypeError) as exc:
                return _bad(str(exc))
        return JSONResponse({"now": emulator.clock.now().isoformat()})

    async def faults(request: Request) -> Response:
        if request.method == "PUT":
            try:
                body = await _json(request)
                service = body.pop("service")
                operation = body.pop("operation", "*")
                if service not in SERVICES:
                    raise ValueError(f"service must be one of {sorted(SERVICES)}")
                unknown = set(body) - FAULT_FIELDS
                if unknown:
                    raise ValueError(f"unknown fault fields: {sorted(unknown)}")
                emulator.faults.configure(service, operation, **body)
            except (ValueError, KeyError, TypeError) as exc:
                return _bad(f"bad fault setting: {exc}")
        elif request.method == "DELETE":
            emulator.faults.reset(quotas=emulator.quotas)
        return JSONResponse({"faults": emulator.faults.snapshot()})

    async def preset(request: Request) -> Response:
        try:
            emulator.faults.apply_preset(str((await _json(request))["name"]))
        except (ValueError, KeyError) as exc:
            return _bad(f"bad preset: {exc}")
        return JSONResponse({"faults": emulator.faults.snapshot()})

    async def calls(request: Request) -> Response:
        if request.method == "DELETE":
            emulator.calls.clear()
        counts = emulator.calls.counts()
        return JSONResponse({"counts": counts, "total": sum(counts.values())})

    async def tokens(request: Request) -> Response:
        return JSONResponse({"tokens": emulator.calls.tokens()})

    return Starlette(
        routes=[
            Route("/dataset", dataset, methods=["GET"]),
            Route("/clock", clock, methods=["GET", "POST"]),
            Route("/faults", faults, methods=["GET", "PUT", "DELETE"]),
            Route("/faults/preset", preset, methods=["POST"]),
            Route("/calls", calls, methods=["GET", "DELETE"]),
            Route("/tokens", tokens, methods=["GET"]),
            Route("/lists", lists_endpoint(emulator), methods=["GET", "POST", "DELETE"]),
        ]
    )
