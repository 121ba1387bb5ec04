"""Tencent Cloud Omics API 3.0 handler (placeholder; being fleshed out)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.emulator.calls import CallLog
from gateway.emulator.clock import SimClock
from gateway.emulator.faults import Faults
from gateway.emulator.tencent_data import TencentData


class TencentService:
    """Answers `POST /` requests carrying `X-TC-Action`, as Tencent Cloud API 3.0 does."""

    def __init__(self, data: TencentData, clock: SimClock, faults: Faults, calls: CallLog) -> None:
        self.data = data
        self.clock = clock
        self.faults = faults
        self.calls = calls

    async def handle(self, request: Request) -> Response:
        body = {"Response": {"Error": {"Code": "InternalError", "Message": "not ready"}}}
        return JSONResponse(body)
