"""Listing items of the HealthOmics world: views of full records, built as they are read."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, overload

from gateway.emulator.aws.data import hex_digest, rng_for
from gateway.emulator.aws.protocol import service_model
from gateway.emulator.healthomics.plan import BatchPlan
from gateway.emulator.healthomics.timeline import RunPlan

Item = dict[str, Any]


def project(shape_name: str, full: Item, **extra: Any) -> Item:
    """Keep the members the model's list shape has: a list item is a view of the full record."""
    members = service_model("omics").shape_for(shape_name).members
    merged = {**full, **extra}
    return {k: merged[k] for k in members if merged.get(k) is not None}


class LazyItems(Sequence[Item]):
    """A listing built item by item as it is read: large worlds list without building all."""

    def __init__(self, plans: list[RunPlan], build: Callable[[RunPlan], Item]) -> None:
        self._plans = plans
        self._build = build

    def __len__(self) -> int:
        return len(self._plans)

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...
    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        if isinstance(index, slice):
            return [self._build(p) for p in self._plans[index]]
        return self._build(self._plans[index])


def default_setting(plan: BatchPlan, rng: Any, account: str) -> Item:
    """GetBatch.defaultRunSetting: what every run of the batch shares."""
    wf = plan.workflow
    return {
        "workflowId": wf.id,
        "workflowType": wf.type,
        "roleArn": f"arn:aws:iam::{account}:role/OmicsWorkflowRole",
        "name": f"{plan.name}-run",
        "cacheId": plan.cache_id,
        "cacheBehavior": "CACHE_ON_FAILURE",
        "runGroupId": plan.run_group_id,
        "priority": 100,
        "parameters": {"reference": "s3://omics-reference/hg38/Homo_sapiens_assembly38.fasta"},
        "storageCapacity": 1200,
        "outputUri": f"s3://omics-output-{account}/batches/{plan.id}/",
        "logLevel": "ALL",
        "runTags": {"batch": plan.name},
        "retentionMode": "RETAIN",
        "storageType": "STATIC",
        "workflowOwnerId": account,
        "outputBucketOwnerId": account,
        "workflowVersionName": wf.version,
        "networkingMode": "RESTRICTED",
        "configurationName": "default-config",
        "sessionPolicy": json.dumps({"Version": "2012-10-17", "Statement": []}),
        "engineSettings": {"resume": bool(rng.getrandbits(1))},
        "scratchStorageMode": "LOCAL",
    }


def vpc_config(seed: int, r: RunPlan, account: str) -> Item:
    rng = rng_for(seed, "vpc", r.id)
    return {
        "securityGroupIds": [f"sg-{hex_digest(rng, 17)}"],
        "subnetIds": [f"subnet-{hex_digest(rng, 17)}", f"subnet-{hex_digest(rng, 17)}"],
        "vpcId": f"vpc-{hex_digest(rng, 17)}",
        "vpcOwnerAccountId": account,
    }


def run_message(r: RunPlan, status: str) -> str | None:
    if status == "FAILED":
        return f"Task {r.n_tasks - 1} failed: process exited with status 137 (out of memory)"
    if status in ("STOPPING", "CANCELLED"):
        return "Run cancelled by batch request"
    if status == "DELETED":
        return "Run deleted by batch request"
    return None
