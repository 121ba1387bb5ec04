"""The reference query of issue 6 and the fewest upstream calls the API's rules allow for it."""

from __future__ import annotations

import math
from typing import Any

SELECTION = """name status runs(first: 100) { edges { submission { runSettingId submissionStatus }
  node { ... on HealthOmicsRun { name status state startedAt stoppedAt tasks(first: 100) {
    edges { node { ... on HealthOmicsTask { name status cpus memory startedAt stoppedAt } } } } } } } }"""


def reference_query(batch_id: str, source: str = "aws") -> str:
    return f'query Reference {{ batch(source: "{source}", id: "{batch_id}") {{ {SELECTION} }} }}'


def minimum_calls(data: dict[str, Any]) -> tuple[int, str]:
    """GetBatch + ⌈submissions/100⌉ ListRunsInBatch + ⌈runs/100⌉ ListRuns(batchId) + one
    ListRunTasks per run with tasks (≤ 100 tasks each, so one page) — from the answer itself."""
    edges = data["batch"]["runs"]["edges"]
    runs = [e["node"] for e in edges if e["node"] is not None]
    with_tasks = [r for r in runs if r.get("tasks") is not None]
    pages = [math.ceil(len(r["tasks"]["edges"]) / 100) or 1 for r in with_tasks]
    total = (
        1 + max(1, math.ceil(len(edges) / 100)) + max(1, math.ceil(len(runs) / 100)) + sum(pages)
    )
    how = (
        f"GetBatch 1 + ListRunsInBatch {max(1, math.ceil(len(edges) / 100))} + ListRuns(batchId) "
        f"{max(1, math.ceil(len(runs) / 100))} + ListRunTasks {sum(pages)}"
    )
    return total, how


def shape(data: dict[str, Any]) -> tuple[int, int]:
    """(runs, tasks) in an answer."""
    runs = [e["node"] for e in data["batch"]["runs"]["edges"] if e["node"] is not None]
    return len(runs), sum(len(r["tasks"]["edges"]) for r in runs if r.get("tasks"))
