"""Tencent Omics wire shapes (Run, RunGroup, RunMetadata) built from specs at one instant.

Field names and types follow `tencentcloud.omics.v20221128.models`; every field is present.
JSON-valued strings (Input, Output, ErrorMessage, Runtime) hold JSON text, `{}` when empty,
as in the documented example; times not yet reached are "". Nested objects the engine does not
use (NFOption on a WDL group, Option on a Nextflow one) are sent with zero values, as a Go
backend does for plain structs.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from gateway.emulator.tencent.calls import CallState, command_for, stable_uuid
from gateway.emulator.tencent.model import (
    RUN_STATUSES,
    GroupSpec,
    RunSpec,
    fmt_time,
    group_status,
)

REGION = "ap-guangzhou"


def _j(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _run_input(run: RunSpec, group: GroupSpec) -> str:
    base = f"cos://{group.bucket}/samples/{run.sample}"
    return _j(
        {
            f"{run.template}.sample_id": run.sample,
            f"{run.template}.fastq_r1": f"{base}_R1.fq.gz",
            f"{run.template}.fastq_r2": f"{base}_R2.fq.gz",
            f"{run.template}.reference": f"cos://{group.bucket}/refs/GRCh38.fa",
        }
    )


def _run_output(run: RunSpec, group: GroupSpec, status: str) -> str:
    if status != "SUCCESS":
        return "{}"
    out = f"cos://{group.bucket}/outputs/{run.uuid}"
    return _j({f"{run.template}.result": f"{out}/{run.sample}.final.gz"})


def error_message(status: str, failed_path: str) -> str:
    """JSON text: `{}` unless the run or call failed or was cancelled."""
    if status == "FAILED":
        return _j({"code": "CallFailed", "message": f"call {failed_path} exited with code 1"})
    if status == "CANCELED":
        return _j({"code": "Canceled", "message": "run canceled by user"})
    return "{}"


def run_option(group: GroupSpec) -> dict[str, Any]:
    wdl = group.engine == "WDL"
    return {
        "FailureMode": group.failure_mode if wdl else "",
        "UseCallCache": group.use_call_cache and wdl,
        "UseErrorOnHold": False,
        "FinalWorkflowOutputsDir": f"cos://{group.bucket}/outputs/" if wdl else "",
        "UseRelativeOutputPaths": wdl,
        "AddRunInfoToOutputDir": wdl,
    }


def _nf_option(group: GroupSpec) -> dict[str, Any]:
    nf = group.engine == "NEXTFLOW"
    return {
        "Config": "process.executor = 'omics'\n" if nf else "",
        "Profile": "docker" if nf else "",
        "Report": nf,
        "Resume": False,
        "NFVersion": "23.10.1" if nf else "",
        "LaunchDir": f"/mnt/{group.volume_id}/launch" if nf else "",
    }


def work_dir(group: GroupSpec) -> str:
    return f"cos://{group.bucket}/work/{group.run_group_id}/"


def render_run(run: RunSpec, group: GroupSpec, now: datetime, failed_path: str) -> dict[str, Any]:
    tl = run.timeline
    status = tl.status(now)
    ended = tl.ended(now)
    delay = 24
    clear_at = ended + timedelta(hours=delay) if ended else None
    return {
        "RunUuid": run.uuid,
        "ProjectId": run.project_id,
        "ApplicationId": group.application_id,
        "RunGroupId": run.run_group_id,
        "EnvironmentId": group.environment_id,
        "UserDefinedId": run.user_defined_id,
        "TableId": group.table_id,
        "TableRowUuid": run.table_row_uuid,
        "Status": status,
        "Input": _run_input(run, group),
        "Option": run_option(group),
        "ExecutionTime": {
            "SubmitTime": fmt_time(tl.submit),
            "StartTime": fmt_time(tl.started(now)),
            "EndTime": fmt_time(ended),
        },
        "Cache": {
            "CacheClearDelay": delay,
            "CacheClearTime": fmt_time(clear_at),
            # Cleaning is not simulated past EPOCH, so a settled run never changes.
            "CacheCleared": False,
        },
        "ErrorMessage": error_message(status, failed_path),
        "CreateTime": fmt_time(tl.submit),
        "UpdateTime": fmt_time(tl.updated(now)),
    }


def run_metadata(run: RunSpec, group: GroupSpec, now: datetime, failed_path: str) -> dict[str, Any]:
    """GetRunStatus's Metadata: the run itself as the root workflow call."""
    tl = run.timeline
    status = tl.status(now)
    return {
        "RunType": "Workflow",
        "RunId": run.uuid,
        "ParentId": run.uuid,
        "JobId": "",
        "CallName": run.template,
        "ScatterIndex": "",
        "Input": _run_input(run, group),
        "Output": _run_output(run, group, status),
        "Status": status,
        "ErrorMessage": error_message(status, failed_path),
        "StartTime": fmt_time(tl.started(now)),
        "SubmitTime": fmt_time(tl.submit),
        "EndTime": fmt_time(tl.ended(now)),
        "Command": "",
        "Runtime": "{}",
        "Preprocess": True,
        "PostProcess": status == "SUCCESS",
        "CallCached": False,
        "WorkDir": work_dir(group) + run.uuid + "/",
        "Stdout": "",
        "Stderr": "",
        "Meta": "",
    }


def call_metadata(
    run: RunSpec, group: GroupSpec, state: CallState, parent_id: str, path: str
) -> dict[str, Any]:
    """One GetRunCalls entry; a sub-workflow's RunId is its own id, a task's its workflow's."""
    plan = state.plan
    task = plan.kind == "Task"
    short = plan.name.rsplit(".", 1)[-1]
    wd = f"{work_dir(group)}{run.uuid}{path}/"
    shard = "" if plan.scatter is None else str(plan.scatter)
    outputs = (
        {f"{plan.name}.out": f"{wd}{short}{'.' + shard if shard else ''}.out"}
        if state.status == "SUCCESS"
        else {}
    )
    cached = task and group.use_call_cache and (run.call_seed + len(path)) % 7 == 0
    return {
        "RunType": "Task" if task else "SubWorkflow",
        "RunId": parent_id if task else stable_uuid(run.uuid, path),
        "ParentId": parent_id,
        "JobId": f"job-{stable_uuid(run.uuid, path, 'job')[:8]}" if task and state.start else "",
        "CallName": plan.name,
        "ScatterIndex": shard,
        "Input": _j({f"{plan.name}.sample_id": run.sample, f"{plan.name}.shard": shard}),
        "Output": _j(outputs),
        "Status": state.status,
        "ErrorMessage": error_message(state.status, path),
        "StartTime": fmt_time(state.start),
        "SubmitTime": fmt_time(state.submit),
        "EndTime": fmt_time(state.end),
        "Command": command_for(plan.name) if task else "",
        "Runtime": _j({"cpu": 4, "memory": "8 GB", "docker": f"omics/{short}:latest"})
        if task
        else "{}",
        "Preprocess": False,
        "PostProcess": False,
        "CallCached": cached,
        "WorkDir": wd,
        "Stdout": wd + "stdout" if task else "",
        "Stderr": wd + "stderr" if task else "",
        "Meta": "",
    }


def render_group(
    group: GroupSpec, project_name: str, runs: list[RunSpec], now: datetime
) -> dict[str, Any]:
    """A RunGroup whose TotalRun, RunStatusCounts and Status agree with its runs at `now`."""
    statuses = [r.timeline.status(now) for r in runs]
    counts = [{"Status": s, "Count": statuses.count(s)} for s in RUN_STATUSES if s in statuses]
    starts = [t for r in runs if (t := r.timeline.started(now)) is not None]
    ends = [r.timeline.ended(now) for r in runs]
    all_ended = bool(runs) and all(e is not None for e in ends)
    updates = [r.timeline.updated(now) for r in runs]
    notify = {
        "StationMessage": True,
        "Email": [f"{group.creator}@example.com"],
        "CurrentUserEmail": False,
    }
    ext = "wdl" if group.engine == "WDL" else "nf"
    return {
        "RunGroupId": group.run_group_id,
        "ProjectId": group.project_id,
        "ProjectName": project_name,
        "ApplicationId": group.application_id,
        "ApplicationName": group.application_name,
        "ApplicationType": group.engine,
        "ApplicationVersion": {
            "Type": "RELEASE",
            "ApplicationVersionId": group.version_id,
            "Name": group.version_name,
            "Description": f"{group.application_name} {group.version_name}",
            "Entrypoint": f"main.{ext}",
            "CreateTime": fmt_time(group.create_time - timedelta(days=30)),
            "CreatorName": group.creator,
            "CreatorId": group.creator_id,
            "GitInfo": "",
            "GitSource": {
                "GitHttpPath": f"https://git.example.com/omics/{group.template}.git",
                "GitUserName": "",
                "GitTokenOrPassword": "",
                "Branch": "main",
                "Tag": group.version_name,
            },
            "CosSource": {
                "Bucket": group.bucket,
                "Uri": f"cos://{group.bucket}/apps/{group.template}.zip",
                "Region": REGION,
            },
        },
        "AccessMode": group.access_mode,
        "EnvironmentId": group.environment_id,
        "EnvironmentName": group.environment_name,
        "TableId": group.table_id,
        "Name": group.name,
        "Description": f"{group.application_name} on {len(runs)} samples",
        "Status": group_status(statuses),
        "Type": group.engine,
        "WorkDir": work_dir(group),
        "Input": _j({f"{group.template}.reference": f"cos://{group.bucket}/refs/GRCh38.fa"}),
        "InputType": group.input_type,
        "InputCosUri": f"cos://{group.bucket}/tables/{group.table_id}.csv"
        if group.table_id
        else "",
        "InputTemplateId": group.input_template_id,
        "Option": run_option(group),
        "NFOption": _nf_option(group),
        "Volumes": [
            {"VolumeId": group.volume_id, "Name": "shared-cache", "MountPath": "/mnt/cache"}
        ],
        "TotalRun": len(runs),
        "RunStatusCounts": counts,
        "ExecutionTime": {
            "SubmitTime": fmt_time(group.create_time),
            "StartTime": fmt_time(min(starts) if starts else None),
            "EndTime": fmt_time(max(e for e in ends if e is not None) if all_ended else None),
        },
        "ErrorMessage": "{}",
        "Notification": {
            "ResultNotification": {"NotificationType": notify},
            "TimeoutNotification": {
                "TimeoutMinutes": group.timeout_minutes,
                "NotificationType": notify,
            },
        },
        "CreateTime": fmt_time(group.create_time),
        "UpdateTime": fmt_time(max(updates) if updates else group.create_time),
        "Creator": group.creator,
        "CreatorId": group.creator_id,
        "ResultNotify": "EMAIL",
    }
