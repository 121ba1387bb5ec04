"""Tencent Cloud Omics API 3.0 (version 2022-11-28) as the real service speaks it.

`POST /` with `X-TC-Action`; TC3 signatures verified against real wall-clock time; answers in
the `{"Response": {…, "RequestId"}}` envelope, errors as HTTP 200 with `Response.Error`.
Order of checks: signature, version, action, region, parameters, then the fault gate (quotas:
20 requests/s per action → RequestLimitExceeded), then the action itself.

Regions: ap-guangzhou holds the data. The other regions the product documents (ap-beijing,
ap-hongkong, ap-shanghai, ap-singapore, eu-frankfurt) answer as an account with nothing there:
empty listings, runs not found, an explicit ProjectId not found. Any other region is
UnsupportedRegion, as the real API answers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.emulator.calls import CallLog
from gateway.emulator.clock import SimClock
from gateway.emulator.faults import Faults, OperationFaults, spoil
from gateway.emulator.tencent.auth import TencentError, verify_tc3
from gateway.emulator.tencent.data import (
    REGION,
    BadPath,
    CallNotFound,
    ProjectNotFound,
    RunNotFound,
    TencentData,
)
from gateway.emulator.tencent.params import ACTION_PARAMS, Listing, listing, parse_body, string
from gateway.emulator.tencent.run_logs import BASE_URL, ENGINE_LOG, RunLogs, find_job

VERSION = "2022-11-28"
#: Regions the product documents; only REGION has data.
OMICS_REGIONS = frozenset(
    {"ap-beijing", "ap-guangzhou", "ap-hongkong", "ap-shanghai", "ap-singapore", "eu-frankfurt"}
)

Handler = Callable[[dict[str, Any], bool], Awaitable[dict[str, Any]]]


def _mix(offset: int, salt: int) -> int:
    return ((offset + 1) * 2654435761 + salt * 40503) % 1000003


class TencentService:
    """Answers `POST /` requests carrying `X-TC-Action`, as Tencent Cloud API 3.0 does."""

    def __init__(
        self,
        data: TencentData,
        clock: SimClock,
        faults: Faults,
        calls: CallLog,
        logs: RunLogs | None = None,
    ) -> None:
        self.logs = logs or RunLogs(data, clock, b"tencent-cos")
        self.data = data
        self.clock = clock
        self.faults = faults
        self.calls = calls
        self._actions: dict[str, Handler] = {
            "GetRunStatus": self._get_run_status,
            "GetRunCalls": self._get_run_calls,
            "DescribeRuns": self._describe_runs,
            "DescribeRunGroups": self._describe_run_groups,
            "GetRunJobLog": self._get_run_job_log,
            "GetRunMetadataFile": self._get_run_metadata_file,
        }
        assert set(self._actions) == set(ACTION_PARAMS)

    async def handle(self, request: Request) -> Response:
        action = request.headers.get("x-tc-action", "")
        request_id = str(uuid.uuid4())
        BASE_URL.set(str(request.base_url).rstrip("/"))
        spoiled = ""
        try:
            body = await self._dispatch(request, action)
            spoiled = self.faults.effective("tencent", action).answer
        except TencentError as err:
            body = {"Error": {"Code": err.code, "Message": err.message}}
        body["RequestId"] = request_id
        self.calls.record("tencent", action, 200)
        response = JSONResponse({"Response": body})
        if spoiled:
            response.body = spoil(bytes(response.body), spoiled)
            response.headers["content-length"] = str(len(response.body))
        return response

    async def _dispatch(self, request: Request, action: str) -> dict[str, Any]:
        raw = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        verify_tc3(request.method, request.url.path, request.url.query, headers, raw, time.time())
        version = headers.get("x-tc-version")
        if not version:
            raise TencentError("MissingParameter", "the parameter `Version` is required")
        if version != VERSION:
            raise TencentError("NoSuchVersion", f"the API version `{version}` does not exist")
        handler = self._actions.get(action)
        if handler is None:
            raise TencentError("InvalidAction", f"the action `{action}` does not exist")
        region = headers.get("x-tc-region", "")
        if not region:
            raise TencentError("MissingParameter", "the parameter `Region` is required")
        if region not in OMICS_REGIONS:
            raise TencentError("UnsupportedRegion", f"the action does not support `{region}`")
        params = parse_body(action, raw)
        outcome = await self.faults.gate("tencent", action)
        if outcome == "throttle":
            raise TencentError("RequestLimitExceeded", "the request rate exceeds the limit")
        if outcome == "error":
            raise TencentError("InternalError", "an internal error occurred; try again later")
        try:
            return await handler(params, region == REGION)
        except ProjectNotFound as e:
            raise TencentError(
                "ResourceNotFound.ProjectNotExist", f"project {e} does not exist"
            ) from None
        except RunNotFound as e:
            raise TencentError("ResourceNotFound.RunNotExist", f"run {e} does not exist") from None
        except BadPath as e:
            raise TencentError(
                "InvalidParameterValue", f"the value of `Path` is invalid: {e}"
            ) from None
        except CallNotFound as e:
            raise TencentError("ResourceNotFound", f"no call at Path `{e}`") from None

    # --- actions -------------------------------------------------------------------------------

    async def _get_run_status(self, params: dict[str, Any], has_data: bool) -> dict[str, Any]:
        run_uuid = string(params, "RunUuid", required=True)
        project_id = string(params, "ProjectId")
        assert run_uuid is not None
        self._check_region(has_data, project_id, run_uuid)
        return {"Metadata": self.data.run_status(run_uuid, project_id)}

    async def _get_run_calls(self, params: dict[str, Any], has_data: bool) -> dict[str, Any]:
        run_uuid = string(params, "RunUuid", required=True)
        path = string(params, "Path", required=True)
        project_id = string(params, "ProjectId")
        assert run_uuid is not None and path is not None
        if not path.startswith("/"):
            raise BadPath("Path must start with '/'")
        self._check_region(has_data, project_id, run_uuid)
        return {"Calls": self.data.calls(run_uuid, path, project_id)}

    async def _describe_runs(self, params: dict[str, Any], has_data: bool) -> dict[str, Any]:
        req = listing("DescribeRuns", params)
        if not has_data:
            self._check_region(has_data, req.project_id, None)
            return {"TotalCount": 0, "Runs": []}
        now = self.clock.now()
        pid = self.data.resolve_project(req.project_id)
        specs = self.data.run_specs(pid)
        for name, values in req.filters:
            wanted = set(values)
            if name == "RunGroupId":
                specs = [r for r in specs if r.run_group_id in wanted]
            elif name == "RunUuid":
                specs = [r for r in specs if r.uuid in wanted]
            elif name == "Status":
                specs = [r for r in specs if r.timeline.status(now) in wanted]
            elif name == "UserDefinedId":
                specs = [r for r in specs if r.user_defined_id in wanted]
            else:  # ApplicationId
                apps = {
                    g.run_group_id for g in self.data.group_specs(pid) if g.application_id in wanted
                }
                specs = [r for r in specs if r.run_group_id in apps]
        start, end = self._window("DescribeRuns", pid, req, len(specs))
        runs = [self.data.render_run(r, now) for r in specs[start:end]]
        return {"TotalCount": len(specs), "Runs": runs}

    async def _describe_run_groups(self, params: dict[str, Any], has_data: bool) -> dict[str, Any]:
        req = listing("DescribeRunGroups", params)
        if not has_data:
            self._check_region(has_data, req.project_id, None)
            return {"TotalCount": 0, "RunGroups": []}
        now = self.clock.now()
        pid = self.data.resolve_project(req.project_id)
        groups = [self.data.render_group(g, now) for g in self.data.group_specs(pid)]
        for name, values in req.filters:
            if name == "Name":
                groups = [g for g in groups if any(v in g["Name"] for v in values)]
            else:
                field = {"RunGroupId": "RunGroupId", "Status": "Status", "Type": "Type"}.get(
                    name, "ApplicationId"
                )
                groups = [g for g in groups if g[field] in values]
        start, end = self._window("DescribeRunGroups", pid, req, len(groups))
        return {"TotalCount": len(groups), "RunGroups": groups[start:end]}

    async def _get_run_job_log(self, params: dict[str, Any], has_data: bool) -> dict[str, Any]:
        run_uuid = string(params, "RunUuid", required=True)
        job_id = string(params, "JobId", required=True)
        log_type = string(params, "LogType", required=True)
        path = string(params, "Path") or "/"
        project_id = string(params, "ProjectId")
        assert run_uuid is not None and job_id is not None
        if log_type not in ("stdout", "stderr"):
            raise TencentError(
                "InvalidParameterValue", "the value of `LogType` must be stdout or stderr"
            )
        self._check_region(has_data, project_id, run_uuid)
        call = find_job(self.data, run_uuid, path, job_id, project_id)
        return {"Content": self.logs.job_log(call, log_type)}

    async def _get_run_metadata_file(
        self, params: dict[str, Any], has_data: bool
    ) -> dict[str, Any]:
        run_uuid = string(params, "RunUuid", required=True)
        project_id = string(params, "ProjectId")
        key = string(params, "Key")
        keys = params.get("Keys")
        assert run_uuid is not None
        if (key is None) == (keys is None):
            raise TencentError("InvalidParameter", "give exactly one of `Key` and `Keys`")
        wanted = [key] if key is not None else keys
        if not isinstance(wanted, list) or not all(isinstance(k, str) for k in wanted):
            raise TencentError("InvalidParameter", "the parameter `Keys` must be a list of strings")
        self._check_region(has_data, project_id, run_uuid)
        run = self.data.find_run(run_uuid, project_id)
        if run.timeline.started(self.clock.now()) is None:
            raise TencentError("ResourceNotFound", "the run has written no metadata files yet")
        for k in wanted:
            if k != ENGINE_LOG:
                raise TencentError("ResourceNotFound", f"no metadata file `{k}` for this run")
        urls = [self.logs.signed_url(run_uuid, project_id, k) for k in wanted]
        if key is not None:
            return {"CosSignedUrl": urls[0]}
        return {"CosSignedUrls": urls}

    # --- helpers -------------------------------------------------------------------------------

    def _check_region(self, has_data: bool, project_id: str | None, run_uuid: str | None) -> None:
        """In a region without data only "not found" answers exist."""
        if has_data:
            return
        if project_id:
            raise ProjectNotFound(project_id)
        if run_uuid is not None:
            raise RunNotFound(run_uuid)

    def _window(self, action: str, project_id: str, req: Listing, total: int) -> tuple[int, int]:
        """The slice a listing answers, hostile when faults say so, never endlessly empty.

        Empty pages: served only the first time a given (listing, filters, Offset) is asked.
        Short pages: fewer than Limit while more remain; TotalCount is always the true count.
        """
        f: OperationFaults = self.faults.effective("tencent", action)
        offset, limit = req.offset, req.limit
        if f.empty_pages and offset < total and _mix(offset, 1) % 2 == 0:
            key = ("tencent", action, project_id, req.filter_key(), offset)
            if self.faults.first_time(key):
                return offset, offset
        size = limit
        if f.short_pages and limit > 1:
            size = 1 + _mix(offset, 2) % (limit - 1)
        return min(offset, total), min(total, offset + size)
