#!/usr/bin/env bash
# Creates .venv (if missing) and installs the locked, hash-checked dependencies and the project.
#   bash scripts/setup.sh        everything CI runs (requirements/dev.txt)
#   bash scripts/setup.sh main   only what the gateway needs to run (requirements/main.txt)
# Idempotent and quick: pip runs only when the lock or pyproject.toml changed since the last
# install. `bash scripts/lock.sh` refreshes the lock files.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
which=${1:-dev}
case "$which" in main | dev) ;; *) echo "usage: setup.sh [main|dev]" >&2; exit 2 ;; esac
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
digest() { cat "requirements/$1.txt" pyproject.toml | sha256sum | cut -d' ' -f1; }
current() { [ "$(cat ".venv/.installed-$1" 2>/dev/null)" = "$(digest "$1")" ]; }
# The dev lock pins the main one's packages at the same versions: a dev install serves both.
if current "$which" || { [ "$which" = main ] && current dev; }; then
  echo "setup: .venv already matches requirements/$which.txt (pip skipped)"
else
  pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
  "${pip[@]}" --require-hashes -r "requirements/$which.txt"
  "${pip[@]}" --no-deps -e .
  digest "$which" > ".venv/.installed-$which"
fi
# GraphiQL's pinned browser assets (served offline by the gateway; not committed). npm fetches
# them; without it the gateway still serves GraphQL and its page says what to run.
if command -v npm >/dev/null 2>&1; then
  .venv/bin/gateway assets
else
  echo "setup: npm (Node.js) not found: GraphiQL's assets are not installed (run \`gateway assets\` later)" >&2
fi
