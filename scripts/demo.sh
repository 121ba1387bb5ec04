#!/usr/bin/env bash
# Serves the gateway on the embedded emulator's demo data (GraphiQL URL and examples printed).
# Installs only what the gateway needs to run (requirements/main.txt), and only when the lock
# changed since the last install. Flags pass through: --port N, --speed N, --no-pacing, …
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh main
exec .venv/bin/gateway serve --demo "$@"
