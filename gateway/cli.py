"""`gateway serve [--demo] [--config F] [--workers N]`, `gateway emulator`, `gateway export-schema`,
`gateway assets`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

DEMO_SOURCE = "aws-demo"


def _demo_settings(
    emulator_url: str,
    domain_id: str,
    cursor_key: str,
    paced: bool,
    datazone_jobs: Sequence[str] = (),
) -> dict[str, Any]:
    from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
    from gateway.emulator.tencent.auth import DEMO_CREDENTIALS

    # The emulator checks real SigV4 and TC3 signatures made with these fixed demo credentials.
    os.environ["AWS_ACCESS_KEY_ID"] = DEMO_ACCESS_KEY_ID
    os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_SECRET_ACCESS_KEY
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    tencent_id, tencent_key = next(iter(DEMO_CREDENTIALS.items()))
    os.environ["TENCENTCLOUD_SECRET_ID"] = tencent_id
    os.environ["TENCENTCLOUD_SECRET_KEY"] = tencent_key
    os.environ.pop("TENCENTCLOUD_SESSION_TOKEN", None)
    return {
        "sources": [
            {
                "name": DEMO_SOURCE,
                "provider": "healthomics",
                "region": "us-east-1",
                "endpoint_url": emulator_url,
            },
            {
                "name": "tencent-demo",
                "provider": "tencent-omics",
                "region": "ap-guangzhou",
                "endpoint_url": emulator_url,
            },
            {
                "name": "datazone-demo",
                "provider": "datazone",
                "region": "us-east-1",
                "endpoint_url": emulator_url,
                "domain_id": domain_id,
                "jobs": list(datazone_jobs),
            },
        ],
        "graphql": {"playground": True, "introspection": True, "incremental": True},
        "auth": {"mode": "none"},
        "ui": {"enabled": True},  # the runs dashboard at /ui
        "observability": {"log_format": "text"},
        "cursors": {"keys": [cursor_key]},
        **(
            {}
            if paced
            else {"limits": {"upstream_rates": {}, "tencent_requests_per_second": 10_000}}
        ),
        # The run catalogue on SQLite in a scratch directory: searchRuns and runStats work in
        # the demo, synced in the background at a share of the emulator's quotas.
        "catalog": {
            "enabled": True,
            "data_dir": tempfile.mkdtemp(prefix="runs-gateway-demo-"),
        },
    }


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.app import create_app
    from gateway.clouds.registry import DEFAULT_CLOUDS
    from gateway.config import ConfigError, load_settings
    from gateway.observability.logs import configure_logging
    from gateway.workers import refusal, run_workers

    busy = _port_busy(args.host, args.port)
    if busy is not None:
        print(
            f"gateway: cannot listen on {args.host}:{args.port} ({busy}); another gateway may "
            "be running there: stop it or pass --port",
            file=sys.stderr,
        )
        return 1
    emulator_server = None
    ticker = None
    banner = ""
    try:
        if args.demo:
            from pathlib import Path

            from gateway.demo import banner as demo_banner
            from gateway.demo import examples, state
            from gateway.emulator.app import create_emulator
            from gateway.emulator.server import LoopbackServer
            from gateway.emulator.ticker import ClockTicker

            paced = not args.no_pacing
            emulator = create_emulator(seed=args.seed, scale="demo", quotas=paced)
            emulator_server = LoopbackServer(emulator.app).start()
            domain = emulator.datazone.domains()[0]
            data_dir = Path(args.data_dir) if args.data_dir else state.default_data_dir()
            key = state.cursor_key(data_dir)
            jobs = emulator.datazone.jobs(domain)
            demo = _demo_settings(emulator_server.url, domain, key, paced, jobs)
            settings = load_settings(args.config, **demo)
            picked = examples.pick(emulator, domain, args.speed)
            banner = demo_banner.banner(
                f"http://{args.host}:{args.port}/graphql",
                emulator_server.url,
                picked,
                speed=args.speed,
                key_file=data_dir / state.KEY_FILE,
                paced=paced,
            )
            ticker = ClockTicker(emulator.clock, args.speed).start()
        else:
            settings = load_settings(args.config)
        problem = refusal(settings, args.workers)
        if problem is not None:
            raise ConfigError(problem)
        configure_logging(settings.observability)
        if args.workers > 1:  # each worker builds its own app; the parent only checks config
            DEFAULT_CLOUDS.validate(settings)
        else:
            app = create_app(settings)
    except ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        if ticker is not None:
            ticker.stop()
        if emulator_server is not None:
            emulator_server.stop()
        return 2
    url = f"http://{args.host}:{args.port}/graphql"
    print(banner or f"runs gateway: GraphiQL at {url}", flush=True)
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        # Our handler formats uvicorn's lines too; the gateway logs each request itself.
        "log_config": None,
        "log_level": settings.observability.log_level.lower(),
        "access_log": False,
        # httptools parses HTTP in C (~35% more cached queries per core than h11). asyncio's
        # own loop, not uvloop: under 50 clients uvloop served more but starved some
        # connections (p99 160-350 ms against 31-49 ms, benchmarks.load_figures).
        "http": "httptools",
        "loop": "asyncio",
        # Outlast load balancers' idle timeouts (often 60 s): with uvicorn's 5 s, a client
        # reusing a connection as the server drops it gets a reset (seen under load).
        "timeout_keep_alive": 75,
        # On SIGTERM, in-flight queries get this long to finish before connections close.
        "timeout_graceful_shutdown": math.ceil(settings.limits.shutdown_grace_seconds),
    }
    try:
        if args.workers > 1:
            return run_workers(settings, args.workers, **options)
        # workers=1 explicitly: uvicorn would otherwise read WEB_CONCURRENCY from the environment.
        uvicorn.run(app, workers=1, **options)
    finally:
        if ticker is not None:
            ticker.stop()
        if emulator_server is not None:
            emulator_server.stop()
    return 0


def _port_busy(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (None when it can), checked before any banner."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def export_schema(args: argparse.Namespace) -> int:
    from gateway.clouds.registry import DEFAULT_CLOUDS
    from gateway.schema import export_sdl

    sys.stdout.write(export_sdl(DEFAULT_CLOUDS))
    return 0


def emulator(args: argparse.Namespace) -> int:
    import tomllib
    from pathlib import Path

    from gateway.emulator.server import serve as serve_emulator

    faults = None
    if args.faults:
        path = Path(args.faults)
        text = path.read_text()
        faults = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    serve_emulator(args.host, args.port, args.seed, args.scale, not args.no_quotas, faults)
    return 0


def assets(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gateway.ide.assets import VENDOR_DIR, AssetError, install

    directory = Path(args.dest) if args.dest else VENDOR_DIR
    print(f"GraphiQL assets in {directory}:", flush=True)
    try:
        fetched = install(directory, force=args.force, report=lambda line: print(line, flush=True))
    except AssetError as exc:
        print(f"gateway assets: {exc}", file=sys.stderr)
        return 1
    print(f"  {'fetched ' + str(fetched) if fetched else 'nothing to fetch'}; all present")
    return 0


def hash_key(args: argparse.Namespace) -> int:
    from gateway.security.auth import new_api_key

    key, digest = new_api_key()
    print(f"key (give it to the client; it is not stored): {key}")
    print("config entry:\n")
    print("[[auth.api_keys]]")
    print(f'name = "{args.name}"')
    print(f'sha256 = "{digest}"')
    print('sources = []  # the source names this key may read, or ["*"]')
    return 0


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def _worker_count(text: str) -> int:
    """`--workers`: a positive number, or `auto` for the cores this process may run on."""
    if text == "auto":
        if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process is allowed
            return len(os.sched_getaffinity(0))
        return os.cpu_count() or 1
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive number or 'auto'")
    return value


def catalog(args: argparse.Namespace) -> int:
    from gateway.catalog import commands
    from gateway.config import ConfigError, load_settings

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    if args.action == "sync":
        from gateway.clouds.registry import DEFAULT_CLOUDS

        DEFAULT_CLOUDS.validate(settings)
        return asyncio.run(commands.sync(settings, DEFAULT_CLOUDS, args.source, args.once))
    if args.action == "purge":
        return asyncio.run(commands.purge(settings))
    return asyncio.run(commands.status(settings))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the GraphQL gateway")
    p.add_argument("--demo", action="store_true", help="serve the embedded emulator's demo data")
    p.add_argument("--config", help="TOML config file")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--seed", type=int, default=0, help="demo data seed")
    p.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        help="demo: the emulator clock runs this many times faster than real time",
    )
    p.add_argument(
        "--no-pacing",
        action="store_true",
        help="demo: do not pace upstream calls at the clouds' quotas (emulator only)",
    )
    p.add_argument("--data-dir", help="demo: where its cursor key is kept (default: XDG state)")
    p.add_argument(
        "--workers",
        type=_worker_count,
        default=1,
        metavar="N",
        help="processes serving the port (default 1; 'auto' = the cores this process may use). "
        "More than 1 needs [cache] url (Redis) and [cursors] keys, which the workers share; "
        "/metrics then answers the figures of all workers merged",
    )
    p.set_defaults(func=serve)

    p = sub.add_parser("emulator", help="run the upstream emulator on its own")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=4010)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", choices=["small", "demo", "large"], default="demo")
    p.add_argument("--no-quotas", action="store_true", help="lift Tencent's 20/s quota")
    p.add_argument("--faults", help="faults to start with: TOML or JSON (see docs/emulator.md)")
    p.set_defaults(func=emulator)

    p = sub.add_parser("hash-key", help="make a new API key and the hash for [auth] api_keys")
    p.add_argument("--name", default="client", help="the key's name in config and audit logs")
    p.set_defaults(func=hash_key)

    p = sub.add_parser("catalog", help="the run catalogue: sync, purge or show status")
    p.add_argument("action", choices=["sync", "purge", "status"])
    p.add_argument("--config", help="TOML config file")
    p.add_argument("--source", help="sync only this source")
    p.add_argument("--once", action="store_true", help="one sweep per source, then exit")
    p.set_defaults(func=catalog)

    p = sub.add_parser("export-schema", help="print the schema (SDL)")
    p.set_defaults(func=export_schema)

    p = sub.add_parser("assets", help="install GraphiQL's pinned browser assets (idempotent)")
    p.add_argument("--dest", help="directory (default: the package's static/vendor)")
    p.add_argument("--force", action="store_true", help="fetch again even if present")
    p.set_defaults(func=assets)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
