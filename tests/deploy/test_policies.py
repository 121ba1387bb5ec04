"""deploy/ policies grant exactly the read operations the providers call, and nothing that writes."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import botocore.session
from tencentcloud.omics.v20221128 import omics_client_async

ROOT = Path(__file__).resolve().parents[2]
CLOUDS = ROOT / "gateway" / "clouds"
READ_VERBS = ("Get", "List", "Describe", "Filter")


def literals(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def provider_files(*clouds: str) -> list[Path]:
    """The provider floor of each named cloud folder (every module but its graph)."""
    graph = {"graph", "loaders", "types", "calls"}
    return [p for c in clouds for p in (CLOUDS / c).glob("*.py") if p.stem not in graph]


def aws_operations(service: str) -> set[str]:
    model = botocore.session.get_session().get_service_model(service)
    return set(model.operation_names)


def used(service: str, files: list[Path], operations: set[str]) -> set[str]:
    found = literals(files) & operations
    assert found, f"no {service} operation found in {[p.name for p in files]}"
    return found


def iam_actions() -> set[str]:
    policy = json.loads((ROOT / "deploy" / "iam-policy.json").read_text())
    actions: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "*" not in "".join(statement["Action"])
        actions |= set(statement["Action"])
    return actions


#: The push consumer's queue actions (DeleteMessageBatch is authorised by sqs:DeleteMessage).
SQS_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"}


def sqs_actions() -> set[str]:
    """What gateway/live/sqs.py calls, as IAM actions."""
    calls = {
        "".join(part.title() for part in name.split("_"))
        for name in literals([ROOT / "gateway" / "live" / "sqs.py"]) | _methods()
    }
    ops = calls & aws_operations("sqs")
    assert ops, "the consumer calls no SQS operation"
    return {f"sqs:{op.removesuffix('Batch')}" for op in ops}


def _methods() -> set[str]:
    tree = ast.parse((ROOT / "gateway" / "live" / "sqs.py").read_text())
    return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}


def test_iam_policy_is_exactly_what_the_aws_providers_call() -> None:
    omics = used("omics", provider_files("healthomics", "aws"), aws_operations("omics"))
    datazone = used("datazone", provider_files("datazone"), aws_operations("datazone"))
    assert {"GetRun", "ListRuns", "ListRunTasks", "GetBatch"} <= omics
    logs = used("logs", provider_files("healthomics"), aws_operations("logs"))
    pricing = used("pricing", provider_files("healthomics"), aws_operations("pricing"))
    assert logs == {"GetLogEvents", "FilterLogEvents"} and pricing == {"GetProducts"}
    expected = {f"omics:{op}" for op in omics} | {f"datazone:{op}" for op in datazone}
    expected |= {f"logs:{op}" for op in logs} | {f"pricing:{op}" for op in pricing}
    assert sqs_actions() == SQS_ACTIONS
    assert iam_actions() == expected | SQS_ACTIONS


def test_iam_policy_has_no_write_action() -> None:
    """Upstream data is only read; the event queue's messages are consumed (deleted) by design."""
    for action in iam_actions() - SQS_ACTIONS:
        service, op = action.split(":")
        assert op in aws_operations(service), f"{action} is not a real operation"
        assert op.startswith(READ_VERBS), f"{action} is not a read"


def test_cam_policy_is_exactly_what_the_tencent_provider_calls() -> None:
    client_actions = {n for n in dir(omics_client_async.OmicsClient) if n[:1].isupper()}
    expected = used("tencent", provider_files("tencent"), client_actions)
    policy = json.loads((ROOT / "deploy" / "tencent-cam-policy.json").read_text())
    actions = {a for st in policy["statement"] for a in st["action"]}
    assert all(st["effect"] == "allow" for st in policy["statement"])
    assert actions == {f"omics:{a}" for a in expected}
    for action in actions:
        op = action.split(":")[1]
        assert op in client_actions and op.startswith(READ_VERBS), action
