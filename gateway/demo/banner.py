"""What `gateway serve --demo` prints: where to go, what to paste, and why it is paced."""

from __future__ import annotations

from pathlib import Path

from gateway.demo.examples import Examples

PACING = """\
Pacing: like the real clouds, the demo calls HealthOmics and DataZone at most 10 times a second
per operation (AWS's quotas; Tencent's are 20/s), so a cold 100 x 100 batch tree (100
ListRunTasks calls) takes ~10 s; asked again it answers from cache in about a second.
`--no-pacing` lifts the pacing against the emulator (against real clouds, keep
[limits] upstream_rates at the account's quotas)."""


def banner(
    url: str,
    emulator_url: str,
    examples: Examples,
    *,
    speed: float,
    key_file: Path,
    paced: bool,
) -> str:
    change = examples.change_in / speed
    lines = [
        f"runs gateway (demo): GraphiQL at {url}",
        f"  dashboard: {url.removesuffix('/graphql')}/ui/",
        f"  upstream: embedded emulator at {emulator_url}",
        f"  emulator clock: runs at {speed:g}x real time (--speed N), so runs progress",
        f"  cursor key: {key_file} (kept, so cursors survive a restart)",
        "",
        "Paste any of these into GraphiQL:",
        "",
        "# HealthOmics: a batch, its runs and their tasks",
        examples.healthomics,
        "",
        "# Tencent Cloud Omics: a run group, its runs, their calls and a sub-workflow's calls",
        examples.tencent,
        "",
        "# DataZone: a job and its runs",
        examples.datazone,
        "",
        f"# Live: this run's status changes in about {change:.0f} s; the subscription shows it",
        examples.subscription,
        "",
        PACING if paced else "Pacing: off (--no-pacing): upstream calls are not paced.",
        "",
    ]
    return "\n".join(lines)
