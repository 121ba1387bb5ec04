"""CloudWatch Logs as the emulator serves it, read with a real boto3 `logs` client."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.emulator.healthomics.workflow_logs import GROUP
from tests.emulator.conftest import Served, aws_client


@pytest.fixture(scope="module")
def logs(emulator: Served) -> Any:
    return aws_client(emulator, "logs")


def _long_task(served: Served) -> tuple[str, str, int]:
    """A settled run's task whose log spans several pages of 50."""
    data = served.emulator.healthomics
    for run in data.all_runs():
        if run["status"] not in ("COMPLETED", "FAILED"):
            continue
        for task in data.tasks(run["id"]):
            events = served.emulator.workflow_logs.events(f"run/{run['id']}/task/{task['taskId']}")
            if events and len(events) > 120:
                return run["id"], task["taskId"], len(events)
    raise AssertionError("no long task log in the dataset")


def _walk_forward(logs: Any, stream: str, limit: int) -> tuple[list[str], int]:
    kwargs: dict[str, Any] = {"logGroupName": GROUP, "logStreamName": stream, "limit": limit}
    messages, calls, token = [], 0, None
    while True:
        extra = {"nextToken": token} if token else {}
        page = logs.get_log_events(startFromHead=True, **kwargs, **extra)
        calls += 1
        messages += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            return messages, calls
        token = page["nextForwardToken"]


def test_forward_walk_ends_on_the_same_token(emulator: Served, logs: Any) -> None:
    run_id, task_id, total = _long_task(emulator)
    stream = f"run/{run_id}/task/{task_id}"
    truth = [e.message for e in emulator.emulator.workflow_logs.events(stream) or []]
    messages, calls = _walk_forward(logs, stream, 50)
    assert messages == truth and len(truth) == total
    assert calls == -(-total // 50) + 1  # the last call answers nothing and the same token


def test_empty_pages_mid_stream_are_not_the_end(emulator: Served, logs: Any) -> None:
    run_id, task_id, _ = _long_task(emulator)
    stream = f"run/{run_id}/task/{task_id}"
    truth = [e.message for e in emulator.emulator.workflow_logs.events(stream) or []]
    emulator.emulator.faults.configure("logs", "GetLogEvents", empty_pages=True, short_pages=True)
    messages, calls = _walk_forward(logs, stream, 50)
    assert messages == truth
    assert calls > -(-len(truth) // 50) + 1


def test_tail_and_backward_tokens(emulator: Served, logs: Any) -> None:
    run_id, task_id, _ = _long_task(emulator)
    stream = f"run/{run_id}/task/{task_id}"
    truth = [e.message for e in emulator.emulator.workflow_logs.events(stream) or []]
    page = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, limit=40)
    collected = [e["message"] for e in page["events"]]
    assert collected == truth[-40:]
    token = page["nextBackwardToken"]
    while True:
        page = logs.get_log_events(
            logGroupName=GROUP, logStreamName=stream, limit=40, nextToken=token
        )
        collected = [e["message"] for e in page["events"]] + collected
        if page["nextBackwardToken"] == token:
            break
        token = page["nextBackwardToken"]
    assert collected == truth


def test_tokens_expire_after_a_day_of_emulator_time(logs: Any) -> None:
    # A private emulator: the session one's clock must stay put.
    from gateway.emulator.app import create_emulator
    from gateway.emulator.clock import SimClock
    from gateway.emulator.server import LoopbackServer

    emu = create_emulator(seed=7, scale="small")
    assert isinstance(emu.clock, SimClock)
    with LoopbackServer(emu.app) as srv:
        client = aws_client(Served(srv.url, emu), "logs")
        run = next(r for r in emu.healthomics.all_runs() if r["status"] == "COMPLETED")
        stream = f"run/{run['id']}"
        page = client.get_log_events(logGroupName=GROUP, logStreamName=stream, startFromHead=True)
        token = page["nextForwardToken"]
        emu.clock.advance(23 * 3600)
        again = client.get_log_events(
            logGroupName=GROUP, logStreamName=stream, startFromHead=True, nextToken=token
        )
        assert again["nextForwardToken"] == token
        emu.clock.advance(3600 + 1)
        with pytest.raises(client.exceptions.InvalidParameterException, match="expired"):
            client.get_log_events(
                logGroupName=GROUP, logStreamName=stream, startFromHead=True, nextToken=token
            )


def test_errors(emulator: Served, logs: Any) -> None:
    run = emulator.emulator.healthomics.all_runs()[0]["id"]
    with pytest.raises(logs.exceptions.ResourceNotFoundException, match="log stream"):
        logs.get_log_events(logGroupName=GROUP, logStreamName=f"run/{run}/task/999")
    with pytest.raises(logs.exceptions.ResourceNotFoundException, match="log group"):
        logs.get_log_events(logGroupName="/aws/other", logStreamName="x")
    with pytest.raises(logs.exceptions.InvalidParameterException, match="logGroupName"):
        logs.get_log_events(logStreamName="x")
    with pytest.raises(logs.exceptions.InvalidParameterException, match="nextToken"):
        logs.get_log_events(
            logGroupName=GROUP, logStreamName=f"run/{run}", nextToken="f/forged", startFromHead=True
        )
    loose = aws_client(emulator, "logs", parameter_validation=False)
    with pytest.raises(loose.exceptions.InvalidParameterException, match="'limit'"):
        loose.get_log_events(logGroupName=GROUP, logStreamName=f"run/{run}", limit=10001)


def test_forward_token_needs_start_from_head(emulator: Served, logs: Any) -> None:
    run = next(r for r in emulator.emulator.healthomics.all_runs() if r["status"] == "COMPLETED")
    kwargs = {"logGroupName": GROUP, "logStreamName": f"run/{run['id']}/engine", "limit": 2}
    token = logs.get_log_events(startFromHead=True, **kwargs)["nextForwardToken"]
    with pytest.raises(logs.exceptions.InvalidParameterException, match="startFromHead"):
        logs.get_log_events(nextToken=token, **kwargs)


def test_filter_matches_terms_and_phrases(emulator: Served, logs: Any) -> None:
    failed = next(r for r in emulator.emulator.healthomics.all_runs() if r["status"] == "FAILED")
    task = emulator.emulator.healthomics.tasks(failed["id"], status="FAILED")[0]
    stream = f"run/{failed['id']}/task/{task['taskId']}"
    error = emulator.emulator.workflow_logs.failure(failed["id"], task["taskId"])
    found = logs.filter_log_events(
        logGroupName=GROUP, logStreamNames=[stream], filterPattern=json.dumps(error)
    )
    assert [e["message"] for e in found["events"]] == [f"ERROR {error}"]
    assert "nextToken" not in found
    assert all(e["eventId"] and e["logStreamName"] == stream for e in found["events"])
    # A bare term matches whole words only: "ERRO" is not a word of any line.
    none = logs.filter_log_events(logGroupName=GROUP, logStreamNames=[stream], filterPattern="ERRO")
    assert none["events"] == []


def test_filter_pages_until_no_token(emulator: Served, logs: Any) -> None:
    run = next(r for r in emulator.emulator.healthomics.all_runs() if r["status"] == "COMPLETED")
    prefix = f"run/{run['id']}/task/"
    truth = sum(
        len(emulator.emulator.workflow_logs.events(n) or [])
        for n in emulator.emulator.workflow_logs.stream_names(prefix)
    )
    seen, token = 0, None
    for _ in range(200):
        extra = {"nextToken": token} if token else {}
        page = logs.filter_log_events(
            logGroupName=GROUP, logStreamNamePrefix=prefix, limit=100, **extra
        )
        seen += len(page["events"])
        token = page.get("nextToken")
        if token is None:
            break
    assert seen == truth > 0


def test_manifest_matches_runs_and_tasks(emulator: Served, logs: Any, omics: Any) -> None:
    data = emulator.emulator.healthomics
    run = next(r for r in data.all_runs() if r["status"] == "FAILED")
    detail = omics.get_run(id=run["id"])
    stream = f"manifest/run/{run['id']}/{detail['uuid']}"
    page = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, startFromHead=True)
    records = [json.loads(e["message"]) for e in page["events"]]
    runs = [r for r in records if ":run/" in r["arn"] and "run" not in r]
    tasks = [r for r in records if ":task/" in r["arn"]]
    assert [r["arn"] for r in runs] == [detail["arn"]]
    assert runs[0]["status"] == "FAILED" and runs[0]["storageType"] == detail["storageType"]
    listed = omics.list_run_tasks(id=run["id"])["items"]
    assert sorted(t["arn"].rsplit("/", 1)[1] for t in tasks) == sorted(t["taskId"] for t in listed)
    for t in tasks:
        assert t["metrics"]["cpusMaximum"] <= t["metrics"]["cpusReserved"] == t["cpus"]
        assert t["run"] == detail["arn"]


def test_task_log_stream_arns_exist(emulator: Served, logs: Any, omics: Any) -> None:
    data = emulator.emulator.healthomics
    run = next(r for r in data.all_runs() if r["status"] == "COMPLETED")
    for item in omics.list_run_tasks(id=run["id"])["items"][:3]:
        task = omics.get_run_task(id=run["id"], taskId=item["taskId"])
        arn = task["logStream"]
        assert arn.startswith("arn:aws:logs:us-east-1:") and f":log-group:{GROUP}:" in arn
        stream = arn.split(":log-stream:", 1)[1]
        page = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, limit=1)
        assert page["events"]
