#!/usr/bin/env bash
# Sets up, then runs every check CI runs: ruff, mypy --strict, the schema export, the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Apollo composition + gateway for the federation test, pinned by package-lock.json.
if [ ! -d tests/federation/js/node_modules ]; then
  (cd tests/federation/js && npm ci --no-audit --no-fund)
fi
echo "== ruff"
.venv/bin/ruff check gateway tests benchmarks
.venv/bin/ruff format --check gateway tests benchmarks
echo "== mypy --strict gateway"
.venv/bin/mypy --strict gateway
echo "== pytest"
.venv/bin/pytest -q -p no:cacheprovider "$@"
