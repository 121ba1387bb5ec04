"""HealthOmics' EventBridge events, delivered to an SQS queue as a rule with no input
transform would: the whole envelope as the message body.

Every time the simulated clock moves, each run's status is read at every instant of its plan
that the move crossed (so a long jump still emits PENDING→STARTING→RUNNING→…, in order), and
each task's at the move's end. Faults under service `events` drop, duplicate or reorder what
one move emits (EventBridge is best effort and SQS standard queues are at-least-once).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import Any

import orjson

from gateway.emulator.aws.data import seconds
from gateway.emulator.faults import Faults
from gateway.emulator.healthomics.data import HealthOmicsData
from gateway.emulator.healthomics.timeline import (
    SETTLED_RUN,
    STARTING_S,
    STOP_S,
    RunPlan,
    TaskPlan,
)
from gateway.emulator.sqs.queues import Queue

SERVICE = "events"
OMICS_VERSION = "1.0.0"


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


class EventBridgeEmitter:
    """Listens to the emulator clock; sends one envelope per status change into `queue`."""

    def __init__(self, ho: HealthOmicsData, queue: Queue, faults: Faults, seed: int = 0) -> None:
        self.ho = ho
        self.queue = queue
        self.faults = faults
        self._rng = random.Random(seed)
        #: Every envelope made (before faults), for tests: what EventBridge meant to deliver.
        self.emitted: list[dict[str, Any]] = []
        self._tasks: dict[str, list[TaskPlan]] = {}  # plans are fixed: made once per run

    def __call__(self, before: datetime, after: datetime) -> None:
        events: list[dict[str, Any]] = []
        for plan in self.ho.run_plans():
            events.extend(self._run_changes(plan, before, after))
            if plan.status(before) not in SETTLED_RUN:
                events.extend(self._task_changes(plan, before, after))
        self.emitted.extend(events)
        self.deliver(events)

    def deliver(self, events: list[dict[str, Any]]) -> None:
        f = self.faults.effective(SERVICE, "*")
        out: list[dict[str, Any]] = []
        for event in events:
            if f.drop_rate and self._rng.random() < f.drop_rate:
                continue
            out.append(event)
            if f.duplicate_rate and self._rng.random() < f.duplicate_rate:
                out.append(event)
        if f.reorder:
            out.reverse()
        for event in out:
            self.queue.send(orjson.dumps(event).decode())

    def _run_changes(
        self, plan: RunPlan, before: datetime, after: datetime
    ) -> list[dict[str, Any]]:
        instants = [plan.start - seconds(STARTING_S), plan.start, plan.finish]
        if plan.cancel_at is not None:
            instants += [plan.cancel_at, plan.cancel_at + seconds(STOP_S)]
        if plan.deleted_at is not None:
            instants.append(plan.deleted_at)
        crossed = sorted(t for t in instants if before < t <= after)
        events, last = [], plan.status(before)
        for instant in [*crossed, after]:
            status = plan.status(instant)
            if status != last:
                events.append(self._run_event(plan, status, min(instant, after)))
                last = status
        return events

    def _task_changes(
        self, plan: RunPlan, before: datetime, after: datetime
    ) -> list[dict[str, Any]]:
        events = []
        tasks = self._tasks.get(plan.id)
        if tasks is None:
            tasks = self._tasks[plan.id] = self.ho.task_plans(plan.id)
        for task in tasks:
            if not task.visible(plan, after):
                continue
            was = task.status(plan, before) if task.visible(plan, before) else None
            now = task.status(plan, after)
            if now != was:
                events.append(self._task_event(plan, task.id, now, after))
        return events

    def _envelope(
        self, kind: str, arn: str, when: datetime, detail: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.UUID(int=self._rng.getrandbits(128))),
            "detail-type": kind,
            "source": "aws.omics",
            "account": self.ho.account,
            "time": _iso(when),
            "region": self.ho.region,
            "resources": [arn],
            "detail": detail,
        }

    def _run_arn(self, plan: RunPlan) -> str:
        return f"arn:aws:omics:{self.ho.region}:{self.ho.account}:run/{plan.id}"

    def _run_event(self, plan: RunPlan, status: str, when: datetime) -> dict[str, Any]:
        arn = self._run_arn(plan)
        out = f"s3://omics-output-{self.ho.account}/runs/{plan.id}"
        detail = {
            "omicsVersion": OMICS_VERSION,
            "arn": arn,
            "status": status,
            "uuid": plan.uuid,
            "runId": plan.id,
            "runName": plan.name,
            "runOutputUri": out,
            "workflowId": plan.workflow.id,
            "workflowName": plan.workflow.name,
        }
        return self._envelope("Run Status Change", arn, when, detail)

    def _task_event(
        self, plan: RunPlan, task_id: str, status: str, when: datetime
    ) -> dict[str, Any]:
        arn = f"arn:aws:omics:{self.ho.region}:{self.ho.account}:task/{task_id}"
        detail = {
            "omicsVersion": OMICS_VERSION,
            "arn": arn,
            "status": status,
            "runArn": self._run_arn(plan),
            "runUuid": plan.uuid,
            "runId": plan.id,
            "runName": plan.name,
            "workflowId": plan.workflow.id,
            "workflowName": plan.workflow.name,
        }
        return self._envelope("Task Status Change", arn, when, detail)
