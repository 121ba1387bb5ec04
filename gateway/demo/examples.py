"""The demo banner's ready-to-paste examples, one per cloud, with ids picked so each answers.

Ids come from the emulator's own data at launch (never hard-coded): a HealthOmics batch tree,
a Tencent run group whose runs include a sub-workflow (so `calls` nests), a DataZone job in the
configured domain that has runs, and a HealthOmics run whose status changes soonest after a
reader has had time to paste the subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.emulator.app import Emulator
from gateway.emulator.aws.data import seconds
from gateway.emulator.healthomics.timeline import SETTLED_RUN, STARTING_S, STOP_S, RunPlan
from gateway.graph.ids import global_id

HO_SOURCE = "aws-demo"
TC_SOURCE = "tencent-demo"
DZ_SOURCE = "datazone-demo"

#: Real seconds a reader needs to paste the subscription before the change it waits for.
PASTE_SECONDS = 20.0

HEALTHOMICS_TREE = """\
query HealthOmicsBatchTree {{
  batch(source: "{source}", id: "{batch}") {{
    name status state totalRuns
    runs(first: 5) {{
      edges {{
        submission {{ runSettingId submissionStatus }}
        node {{
          name status state startedAt stoppedAt
          tasks(first: 5) {{ edges {{ node {{ name status state }} }} pageInfo {{ hasNextPage }} }}
        }}
      }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}"""

TENCENT_TREE = """\
query TencentRunGroupTree {{
  batch(source: "{source}", id: "{group}") {{
    name status state totalRuns
    runs(first: 5) {{
      totalCount
      edges {{
        node {{
          name status state
          tasks(first: 10) {{
            edges {{
              node {{
                name status state
                ... on TencentRunCall {{
                  path runType
                  calls(first: 10) {{ edges {{ node {{ name status state }} }} }}
                }}
              }}
            }}
          }}
        }}
      }}
    }}
  }}
}}"""

DATAZONE_JOB = """\
query DataZoneJobRuns {{
  dataZoneJob(source: "{source}", id: "{job}") {{
    jobId
    runs(first: 5) {{
      edges {{ node {{ name status state startedAt stoppedAt }} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}"""

RUN_UPDATED = """\
subscription LiveRun {{
  runUpdated(id: "{run}") {{ name status state startedAt stoppedAt }}
}}"""


@dataclass(frozen=True)
class Examples:
    healthomics: str
    tencent: str
    datazone: str
    subscription: str
    #: Simulated seconds until the subscribed run's status next changes.
    change_in: float


def next_change(plan: RunPlan, now: datetime) -> datetime | None:
    """The next instant `plan`'s status changes after `now` (None once it never will)."""
    instants = [plan.start - seconds(STARTING_S), plan.start, plan.finish]
    if plan.cancel_at is not None:
        instants += [plan.cancel_at, plan.cancel_at + seconds(STOP_S)]
    if plan.deleted_at is not None:
        instants.append(plan.deleted_at)
    later = [t for t in instants if t > now]
    return min(later) if later else None


def _live_run(emulator: Emulator, speed: float) -> tuple[str, float]:
    ho, now = emulator.healthomics, emulator.clock.now()
    margin = PASTE_SECONDS * speed
    best: tuple[float, str] | None = None
    for item in ho.all_runs():
        plan = ho.run_plan(item["id"])
        if plan.status(now) in SETTLED_RUN:
            continue
        change = next_change(plan, now)
        if change is None:
            continue
        wait = (change - now).total_seconds()
        if wait >= margin and (best is None or wait < best[0]):
            best = (wait, plan.id)
    if best is None:
        raise LookupError("the demo data has no live run")
    return best[1], best[0]


def _tencent_group(emulator: Emulator) -> str:
    tc = emulator.tencent
    groups = tc.group_specs()
    for group in groups:
        for run in tc.run_specs(run_group_id=group.run_group_id)[:5]:
            if any(c.get("RunType") == "SubWorkflow" for c in tc.calls(run.uuid, "/")):
                return group.run_group_id
    return groups[0].run_group_id


def _datazone_job(emulator: Emulator, domain: str) -> str:
    dz = emulator.datazone
    jobs = dz.jobs(domain)
    return next((j for j in jobs if dz.job_runs(domain, j)), jobs[0])


def pick(emulator: Emulator, domain: str, speed: float) -> Examples:
    """The examples for `emulator` as it stands now, whose clock runs at `speed`."""
    ho = emulator.healthomics
    batch = ho.reference_batch_id or ho.batch_ids()[0]
    run, change_in = _live_run(emulator, speed)
    return Examples(
        healthomics=HEALTHOMICS_TREE.format(source=HO_SOURCE, batch=batch),
        tencent=TENCENT_TREE.format(source=TC_SOURCE, group=_tencent_group(emulator)),
        datazone=DATAZONE_JOB.format(source=DZ_SOURCE, job=_datazone_job(emulator, domain)),
        subscription=RUN_UPDATED.format(run=global_id("HealthOmicsRun", HO_SOURCE, run)),
        change_in=change_in,
    )
