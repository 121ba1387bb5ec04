#!/usr/bin/env bash
# Sets up, then runs every check CI runs: ruff, mypy --strict, the schema export, the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"
.venv/bin/ruff check gateway tests benchmarks
.venv/bin/ruff format --check gateway tests benchmarks
echo "== mypy --strict gateway"
.venv/bin/mypy --strict gateway
echo "== pytest"
.venv/bin/pytest -q -p no:cacheprovider "$@"
