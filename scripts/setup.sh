#!/usr/bin/env bash
# Creates .venv (if missing) and installs the project with its dev tools. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
# GraphiQL's pinned browser assets (served offline by the gateway; not committed). npm fetches
# them; without it the gateway still serves GraphQL and its page says what to run.
if command -v npm >/dev/null 2>&1; then
  .venv/bin/gateway assets
else
  echo "setup: npm (Node.js) not found: GraphiQL's assets are not installed (run \`gateway assets\` later)" >&2
fi
