"""Tencent run logs: GetRunJobLog's content and GetRunMetadataFile's signed COS URLs.

GetRunJobLog(RunUuid, JobId, LogType stdout|stderr, Path) answers a task call's log as one
string; `Path` is where GetRunCalls listed the call (its parent level, `/` at the top) and
`JobId` names it there. GetRunMetadataFile(RunUuid, Key|Keys) answers COS-style signed URLs
(`q-sign-time=<start>;<end>&q-signature=…`) valid one minute by the emulator's clock, served by
the emulator itself under `/_cos/`; a stale or edited URL answers COS's 403 AccessDenied.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import Response

from gateway.emulator.clock import SimClock
from gateway.emulator.tencent.auth import TencentError
from gateway.emulator.tencent.data import TencentData

#: The only metadata file every run has (the others need NFOption.Report).
ENGINE_LOG = "nextflow.log"
URL_LIFETIME_S = 60
#: Where the request came from, so signed URLs point back at this emulator.
BASE_URL: contextvars.ContextVar[str] = contextvars.ContextVar("emulator_base_url", default="")


class RunLogs:
    """Log contents derived from the run's calls, and the signed URLs that reach them."""

    def __init__(self, data: TencentData, clock: SimClock, secret: bytes) -> None:
        self.data = data
        self.clock = clock
        self._secret = secret

    # --- contents -----------------------------------------------------------------------------

    def job_log(self, call: dict[str, Any], log_type: str) -> str:
        """A task call's stdout or stderr; a failed call's stderr ends with its error."""
        name = call["CallName"]
        shard = call["ScatterIndex"] or "0"
        if log_type == "stdout":
            lines = [f"[{name}] shard {shard}: starting"]
            lines += [f"[{name}] shard {shard}: step {i + 1}/12 done" for i in range(12)]
            if call["Status"] == "SUCCESS":
                lines.append(f"[{name}] shard {shard}: finished")
        else:
            lines = [f"WARN  {name}: using default JVM options"]
            if call["Status"] == "FAILED":
                lines.append(f"ERROR {self.failure(call)}")
        return "\n".join(lines) + "\n"

    @staticmethod
    def failure(call: dict[str, Any]) -> str:
        """The error line a failed call's stderr carries (ground truth for tests)."""
        message = json.loads(call["ErrorMessage"] or "{}").get("message", "failed")
        return f"{call['CallName']}: {message}"

    def engine_log(self, run_uuid: str, project_id: str | None) -> str:
        lines = [f"N E X T F L O W  ~  run {run_uuid}"]
        for call in self.data.calls(run_uuid, "/", project_id):
            lines.append(f"Submitted process > {call['CallName']} ({call['ScatterIndex'] or 0})")
            lines.append(f"Process {call['CallName']} status {call['Status']}")
        return "\n".join(lines) + "\n"

    # --- signed URLs --------------------------------------------------------------------------

    def _signature(self, path: str, window: str) -> str:
        return hmac.new(self._secret, f"{path}|{window}".encode(), hashlib.sha1).hexdigest()

    def signed_url(self, run_uuid: str, project_id: str | None, key: str) -> str:
        start = int(self.clock.now().timestamp())
        window = f"{start};{start + URL_LIFETIME_S}"
        project = self.data.resolve_project(project_id)
        path = f"/_cos/omics-{project}/{run_uuid}/{quote(key)}"
        return (
            f"{BASE_URL.get()}{path}?q-sign-algorithm=sha1&q-sign-time={window}"
            f"&q-signature={self._signature(path, window)}"
        )

    async def serve(self, request: Request) -> Response:
        """GET of a signed URL: the file, or COS's AccessDenied when stale or edited."""
        path = request.url.path
        query = parse_qs(request.url.query)
        window = (query.get("q-sign-time") or [""])[0]
        given = (query.get("q-signature") or [""])[0]
        ok = hmac.compare_digest(given, self._signature(path, window))
        start, _, end = window.partition(";")
        now = self.clock.now().timestamp()
        if not ok or not start.isdigit() or not end.isdigit():
            return _denied("The Signature you specified is invalid.")
        if not int(start) <= now <= int(end):
            return _denied("Request has expired")
        parts = path.split("/")  # ['', '_cos', 'omics-<project>', run, key]
        project = parts[2].removeprefix("omics-")
        return Response(self.engine_log(parts[3], project), media_type="text/plain")


def _denied(message: str) -> Response:
    body = f"<Error><Code>AccessDenied</Code><Message>{message}</Message></Error>"
    return Response(body, status_code=403, media_type="application/xml")


def find_job(data: TencentData, run_uuid: str, path: str, job_id: str, project: str | None) -> Any:
    """The task call GetRunCalls lists at `path` with this JobId; ResourceNotFound if none."""
    for call in data.calls(run_uuid, path or "/", project):
        if call["JobId"] and call["JobId"] == job_id:
            return call
    raise TencentError("ResourceNotFound", f"no job {job_id} at Path `{path or '/'}`")
