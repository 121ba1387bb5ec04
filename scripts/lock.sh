#!/usr/bin/env bash
# Refreshes the hashed lock files from pyproject.toml, installs them and runs the whole suite, so
# a lock is only committed once the tests have passed on exactly what it pins.
#   bash scripts/lock.sh                    keep every pin that still fits; pin what pyproject added
#   bash scripts/lock.sh --upgrade          every package to its newest allowed version
#   bash scripts/lock.sh --upgrade-package strawberry-graphql    one package (uv's flags pass through)
# requirements/main.txt: what the gateway needs to run (Dockerfile, scripts/demo.sh).
# requirements/dev.txt: that plus the dev tools, pinned to the same versions (setup.sh, CI).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
if [ ! -x .venv/bin/uv ]; then
  pinned=$(grep -oE '^uv==[^ ]+' requirements/dev.txt 2>/dev/null || echo uv)
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "$pinned"
fi
compile=(.venv/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11
  --custom-compile-command "bash scripts/lock.sh" --quiet)
"${compile[@]}" "$@" -o requirements/main.txt
"${compile[@]}" --extra dev -c requirements/main.txt "$@" -o requirements/dev.txt
echo "lock: requirements/main.txt and requirements/dev.txt refreshed; installing and testing"
bash scripts/test.sh
