"""GetRunJobLog and GetRunMetadataFile (with its signed COS URL), through the official SDK."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.omics.v20221128 import models

from gateway.emulator.app import create_emulator
from gateway.emulator.server import LoopbackServer
from gateway.emulator.tencent.run_logs import RunLogs
from tests.emulator.conftest import Served
from tests.emulator.tencent.test_service import sync_client


def failed_task(served: Served) -> tuple[str, str, dict[str, Any]]:
    """A failed run's failed task call: (run uuid, the path it is listed at, the call)."""
    data = served.emulator.tencent
    for run in data.runs(status="FAILED"):
        pending = ["/"]
        while pending:
            path = pending.pop()
            for call in data.calls(run["RunUuid"], path):
                child = f"{path.rstrip('/')}/{call['CallName']}" + (
                    f":{call['ScatterIndex']}" if call["ScatterIndex"] else ""
                )
                if call["RunType"] == "SubWorkflow":
                    pending.append(child)
                elif call["Status"] == "FAILED" and call["JobId"]:
                    return run["RunUuid"], path, call
    raise AssertionError("no failed task call")


def job_log(served: Served, run: str, path: str, job: str, kind: str) -> str:
    req = models.GetRunJobLogRequest()
    req.from_json_string(
        f'{{"RunUuid": "{run}", "JobId": "{job}", "LogType": "{kind}", "Path": "{path}"}}'
    )
    content: str = sync_client(served).GetRunJobLog(req).Content
    return content


def test_job_logs_carry_the_error(emulator: Served) -> None:
    run, path, call = failed_task(emulator)
    stderr = job_log(emulator, run, path, call["JobId"], "stderr")
    assert RunLogs.failure(call) in stderr
    assert "starting" in job_log(emulator, run, path, call["JobId"], "stdout")
    with pytest.raises(TencentCloudSDKException) as exc:
        job_log(emulator, run, path, "job-nothing", "stdout")
    assert exc.value.code == "ResourceNotFound"
    with pytest.raises(TencentCloudSDKException) as exc:
        job_log(emulator, run, path, call["JobId"], "trace")
    assert exc.value.code == "InvalidParameterValue"


def metadata_url(served: Served, run: str, key: str = "nextflow.log") -> str:
    req = models.GetRunMetadataFileRequest()
    req.from_json_string(f'{{"RunUuid": "{run}", "Key": "{key}"}}')
    url: str = sync_client(served).GetRunMetadataFile(req).CosSignedUrl
    return url


def test_signed_url_serves_and_expires() -> None:
    emu = create_emulator(seed=7, scale="small")  # its own clock: this test moves it
    with LoopbackServer(emu.app) as srv:
        served = Served(srv.url, emu)
        run = emu.tencent.runs(status="SUCCESS")[0]["RunUuid"]
        url = metadata_url(served, run)
        assert url.startswith(srv.url + "/_cos/") and "q-signature=" in url
        body = httpx.get(url)
        assert body.status_code == 200 and "Submitted process" in body.text
        assert httpx.get(url.replace("q-signature=", "q-signature=0")).status_code == 403
        emu.clock.advance(61)
        stale = httpx.get(url)
        assert stale.status_code == 403 and "expired" in stale.text
        with pytest.raises(TencentCloudSDKException) as exc:
            metadata_url(served, run, "execution_report.html")
        assert exc.value.code == "ResourceNotFound"
