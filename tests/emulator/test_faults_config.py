"""Faults by config: `gateway emulator --faults F` starts with them, as the control API sets them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import boto3  # type: ignore[import-untyped]
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from gateway.emulator.faults import Faults
from tests.demo_process import ROOT, free_port

CONFIG = """
presets = ["aws-quotas"]

[[operations]]
service = "omics"
operation = "GetBatch"
throttle_rate = 1.0

[[operations]]
service = "omics"
operation = "ListRunTasks"
short_pages = true
latency_ms = 5
"""


def test_config_sets_what_the_control_api_would() -> None:
    faults = Faults(quotas=False)
    faults.apply_config(
        {
            "presets": ["aws-quotas"],
            "operations": [{"service": "omics", "operation": "GetBatch", "error_rate": 0.5}],
        }
    )
    assert faults.effective("omics", "GetBatch").error_rate == 0.5
    assert faults.effective("omics", "GetRun").quota_rps == 10.0
    with pytest.raises(ValueError, match="unknown fault config keys"):
        faults.apply_config({"operation": []})
    with pytest.raises(ValueError, match="unknown fault fields"):
        faults.apply_config({"operations": [{"service": "omics", "latency": 5}]})


def test_emulator_command_starts_with_the_faults_of_a_file(tmp_path: Path) -> None:
    config = tmp_path / "faults.toml"
    config.write_text(CONFIG)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway",
            "emulator",
            "--port",
            str(port),
            "--scale",
            "small",
            "--faults",
            str(config),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                snapshot = httpx.get(f"{url}/_emulator/faults", timeout=2).json()["faults"]
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "emulator did not start"
                time.sleep(0.1)
        assert snapshot["omics:GetBatch"]["throttle_rate"] == 1.0
        assert snapshot["omics:ListRunTasks"]["short_pages"] is True
        assert snapshot["omics:GetRun"]["quota_rps"] == 10.0
        omics = boto3.session.Session().client(
            "omics",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=DEMO_ACCESS_KEY_ID,
            aws_secret_access_key=DEMO_SECRET_ACCESS_KEY,
            config=Config(inject_host_prefix=False, retries={"total_max_attempts": 1}),
        )
        batch = httpx.get(f"{url}/_emulator/dataset", timeout=5).json()
        batch_id = batch["healthomics"]["us-east-1"]["batches"][0]
        with pytest.raises(ClientError) as err:
            omics.get_batch(batchId=batch_id)
        assert err.value.response["Error"]["Code"] == "ThrottlingException"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
