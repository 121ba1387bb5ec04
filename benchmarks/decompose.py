"""Where a cold reference tree's CPU goes: the gateway beside the raw client + bare executor.

`cold_cpu`: the goal's ratio — this process's CPU (`time.process_time`) for one cold tree
through the gateway's schema (a fresh gateway, connections warmed on another batch) ÷ (the raw
client's CPU for the same 103 calls + bare graphql-core's CPU executing the same tree), medians
of interleaved rounds in one run; beside it the same gateway with the lean AWS path switched
off (every call through aiobotocore, as before issue 17).

`decompose`: one cold tree of each under cProfile, each function's own time attributed to a
stage by its module (and, in HTTP libraries, by whether it writes or reads): per upstream call,
building (validation, serialisation), signing, sending, receiving, parsing; the executor; the
gateway's own layers; the rest. Profiler attribution, not timers around the stages, because the
103 calls run concurrently on one thread: a stage that awaits (sending, receiving) would count
the CPU of every other task that ran meanwhile, and `time.thread_time` cannot tell them apart.
cProfile, on the thread's CPU clock (a loaded machine's waits count nowhere), charges each
function its own time wherever it interleaves; it inflates call-heavy
Python (the executor) more than C-heavy code (hashing, orjson), so the table gives profiled
milliseconds and shares, and the unprofiled totals are `cold_cpu`'s.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from graphql import execute_sync, parse

from benchmarks import bare
from benchmarks.raw import RawClient
from benchmarks.reference import reference_query
from gateway.clouds.aws import lean
from gateway.graph.context import Context

Report = Callable[[str, str, str, bool | None], None]
#: Limits no profiled tree on a loaded machine runs into (timeouts cost no CPU).
PATIENT = {"query_deadline_seconds": 600.0, "upstream_timeout_seconds": 120.0}

#: (row, substrings of a profiled function's file) in the order rows are tried; HTTP libraries
#: are split into send and receive by `_transport`.
_BY_FILE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("build", ("botocore/validate.py", "botocore/serialize.py", "/uuid.py")),
    ("sign", ("aws/signing.py", "botocore/auth.py", "/hmac.py", "botocore/credentials.py")),
    ("parse", ("botocore/parsers.py", "aws/parsing.py", "/json/")),
    ("executor", ("/graphql/", "/strawberry/")),
    ("gateway: schema, resolvers", ("gateway/graph/", "gateway/schema/", "gateway/types.py")),
    (
        "gateway: loaders, paging, cache",
        ("gateway/upstream/", "gateway/paging/", "gateway/cache/", "gateway/clouds/"),
    ),
    (
        "gateway: guards, metrics, tracing",
        ("gateway/guards.py", "gateway/observability/", "gateway/ratelimit/", "opentelemetry"),
    ),
)
_HTTP = ("/aiohttp/", "/httpx/", "/httpcore/", "/h11/", "/anyio/", "/yarl/", "/multidict/")
_READS = ("read", "recv", "receive", "data_received", "feed", "start", "_response", "parse")
REST = "rest (event loop, other)"
CALL_ROWS = ("build", "sign", "send", "receive", "parse")
ROWS = (
    *CALL_ROWS,
    "executor",
    "gateway: schema, resolvers",
    "gateway: loaders, paging, cache",
    "gateway: guards, metrics, tracing",
    REST,
)


def _transport(file: str, name: str) -> str | None:
    in_http = any(part in file for part in _HTTP)
    socket_level = file == "~" and ("socket" in name or "_ssl" in name)
    selector = "asyncio/selector_events.py" in file or "asyncio/streams.py" in file
    if not (in_http or socket_level or selector):
        return None
    lowered = name.lower()
    return "receive" if any(word in lowered for word in _READS) else "send"


def classify(file: str, name: str) -> str:
    """The row one profiled function's own time belongs to."""
    stage = _transport(file, name)
    if stage is not None:
        return stage
    if file == "~":  # built-ins: charged by what they are
        if "_hashlib" in name or "hmac" in name:
            return "sign"
        if "orjson" in name or "fromisoformat" in name:
            return "parse"
        if "percent" in name or "quote" in name:
            return "build"
        return REST
    if "aws/lean.py" in file:
        return "build"
    if "botocore/utils.py" in file or "urllib/parse.py" in file:
        return "build"
    for row, parts in _BY_FILE:
        if any(part in file for part in parts):
            return row
    return REST


def attribute(profile: cProfile.Profile) -> Counter[str]:
    """Own time (seconds) per row. A built-in of no stage of its own (`isinstance`, `dict.get`,
    object creation…) is charged to the rows of its callers, in the shares cProfile recorded
    per caller."""
    rows: Counter[str] = Counter()
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for (file, _, name), (_, _, own, _, callers) in stats.items():
        row = classify(file.replace("\\", "/"), name)
        if file != "~" or row != REST or not callers:
            rows[row] += own
            continue
        for (caller_file, _, caller_name), (_, _, share, _) in callers.items():
            rows[classify(caller_file.replace("\\", "/"), caller_name)] += share
    return rows


async def _gateway_cold(open_gateway: Callable[[], Any], q: str, warm_q: str) -> Any:
    """A fresh gateway with warm connections; returns (gateway, run) for one cold tree."""
    gw = await open_gateway().__aenter__()
    upstream = gw.app.state.upstream
    warm = await gw.schema.execute(warm_q, context_value=Context.for_request(upstream))
    assert warm.errors is None, warm.errors

    async def run() -> Any:
        result = await gw.schema.execute(q, context_value=Context.for_request(upstream))
        assert result.errors is None, result.errors
        return result

    return gw, run


@contextmanager
def aiobotocore_only() -> Iterator[None]:
    """Every AWS call through the aiobotocore client, as before the lean path (the wire asks
    `lean.supported` which operations to take the lean way): the "before" of the same run."""
    kept = lean.supported
    lean.supported = lambda op, inject_host_prefix: False
    try:
        yield
    finally:
        lean.supported = kept


async def cold_cpu(
    url: str,
    batch: str,
    other: str,
    data: dict[str, Any],
    open_gateway: Callable[[], Any],
    report: Report,
    rounds: int = 5,
) -> dict[str, float]:
    """The goal's ratio: gateway CPU per cold tree ÷ (raw client + bare executor), one run;
    beside it, the gateway with every call through aiobotocore (rounds interleaved)."""
    q, warm_q = reference_query(batch), reference_query(other)
    document, roots = parse(q), bare.plain_dicts(data)
    raw = RawClient(url)
    await raw.tree(other)  # opens its connections
    times: dict[str, list[float]] = {"gateway": [], "aiobotocore": [], "raw": [], "bare": []}

    async def gateway(name: str) -> None:
        gw, run = await _gateway_cold(open_gateway, q, warm_q)
        try:
            gc.collect()
            start = time.process_time()
            await run()
            times[name].append(time.process_time() - start)
        finally:
            await gw.__aexit__()

    try:
        for _ in range(rounds):
            await gateway("gateway")
            with aiobotocore_only():
                await gateway("aiobotocore")
            gc.collect()
            start = time.process_time()
            await raw.tree(batch)
            times["raw"].append(time.process_time() - start)
            gc.collect()
            start = time.process_time()
            check = execute_sync(bare.bare_schema, document, root_value=roots)
            times["bare"].append(time.process_time() - start)
            assert check.errors is None and check.data == data
    finally:
        await raw.aclose()
    ours, before, rc, bx = (
        statistics.median(times[k]) * 1000 for k in ("gateway", "aiobotocore", "raw", "bare")
    )
    report(
        "cold CPU (gateway ÷ raw client + bare executor)",
        f"{ours:.0f} ms ÷ ({rc:.0f} + {bx:.0f}) ms = {ours / (rc + bx):.2f}",
        "≤ 0.8",
        ours / (rc + bx) <= 0.8,
    )
    report(
        "  the same, every call through aiobotocore",
        f"{before:.0f} ms ÷ ({rc:.0f} + {bx:.0f}) ms = {before / (rc + bx):.2f}",
        "(printed)",
        None,
    )
    return {"gateway": ours, "aiobotocore": before, "raw": rc, "bare": bx}


async def decompose(
    url: str,
    batch: str,
    other: str,
    data: dict[str, Any],
    open_gateway: Callable[[], Any],
) -> None:
    """One profiled cold tree each; prints the two tables side by side."""
    q, warm_q = reference_query(batch), reference_query(other)
    gw, run = await _gateway_cold(open_gateway, q, warm_q)
    try:
        ours = cProfile.Profile(time.thread_time)
        gc.collect()
        ours.enable()
        await run()
        ours.disable()
    finally:
        await gw.__aexit__()
    raw = RawClient(url)
    try:
        await raw.tree(other)
        raw.calls.clear()
        document, roots = parse(q), bare.plain_dicts(data)
        theirs = cProfile.Profile(time.thread_time)
        gc.collect()
        theirs.enable()
        await raw.tree(batch)
        execute_sync(bare.bare_schema, document, root_value=roots)
        theirs.disable()
    finally:
        await raw.aclose()
    print_tables(attribute(ours), attribute(theirs), sum(raw.calls.values()))


async def sections(
    which: set[str],
    url: str,
    batch: str,
    other: str,
    data: dict[str, Any],
    open_gateway: Callable[[], Any],
    report: Report,
) -> None:
    """`--only cpu` (the cold-CPU rows) and `--only decompose` (the tables)."""
    if "cpu" in which:
        await cold_cpu(url, batch, other, data, open_gateway, report)
    if "decompose" in which:
        await decompose(url, batch, other, data, open_gateway)


def print_tables(ours: Counter[str], theirs: Counter[str], calls: int) -> None:
    total_ours, total_theirs = sum(ours.values()), sum(theirs.values())
    print(f"\n  cold tree under cProfile, own time by stage ({calls} upstream calls each side)")
    print(f"  {'stage':<36} {'gateway':>22} {'raw client + bare':>22}")

    def cell(rows: Counter[str], total: float, row: str) -> str:
        ms = rows[row] * 1000
        per_call = f" ({ms * 1000 / calls:.0f} µs/call)" if row in CALL_ROWS else ""
        return f"{ms:.0f} ms{per_call} {100 * rows[row] / total:.0f}%"

    for row in ROWS:
        print(
            f"  {row:<36} {cell(ours, total_ours, row):>22} {cell(theirs, total_theirs, row):>22}"
        )
    print(
        f"  {'total (profiled)':<36} {total_ours * 1000:>19.0f} ms {total_theirs * 1000:>19.0f} ms"
    )
