#!/usr/bin/env bash
# Sets up, then serves the gateway on the embedded emulator's demo data (GraphiQL URL printed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/gateway serve --demo "$@"
