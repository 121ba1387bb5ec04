"""Closed-loop HTTP load from wrk (Debian's `wrk`, C): N connections, each sending its next
request as soon as the last answer is in, cycling through a list of GraphQL bodies.

Why not a Python client: on this benchmark's two cores an aiohttp generator needed a whole core
for ~1,250 q/s, so the latency it reported was mostly its own event loop's (the gateway it drove
sat 36% idle). wrk spends a few percent of a core on the same load; what it measures is the
gateway. Its latency histogram is wrk's own (microseconds, exact percentiles).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Each connection starts at a different body; `done` prints one JSON line wrk's summary lacks.
_SCRIPT = r"""
local bodies = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  i = math.random(#bodies)
end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", nil, nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "max": %f, ' ..
    '"status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Load:
    """One wrk run: answered requests, seconds, latency percentiles in ms, failed requests."""

    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    max: float
    failures: int

    @property
    def qps(self) -> float:
        return self.requests / self.seconds


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError(
            "the load figures need wrk (Debian: `apt-get install wrk`; scripts/test.sh installs it)"
        )
    return found


def run(
    url: str,
    bodies: list[dict[str, Any]],
    headers: dict[str, str],
    *,
    connections: int = 50,
    seconds: float = 5.0,
) -> Load:
    """`connections` closed-loop connections POSTing `bodies` in turn to `url` for `seconds`.

    One wrk thread: at these rates it is far from busy, and every core it leaves is the
    gateway's.
    """
    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp) / "bodies.jsonl"
        lines.write_text("\n".join(json.dumps(b, separators=(",", ":")) for b in bodies) + "\n")
        script = Path(tmp) / "graphql.lua"
        script.write_text(_SCRIPT)
        argv = [wrk_path(), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
        argv += ["--timeout", "10s", "-s", str(script)]
        for name, value in {"Content-Type": "application/json", **headers}.items():
            argv += ["-H", f"{name}: {value}"]
        argv += [url, "--", str(lines)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[:300]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return Load(
        requests=summary["requests"],
        seconds=summary["seconds"],
        p50=summary["p50"] / 1000,
        p95=summary["p95"] / 1000,
        p99=summary["p99"] / 1000,
        max=summary["max"] / 1000,
        failures=summary["status_errors"] + summary["socket_errors"],
    )
