#!/usr/bin/env bash
# Sets up, then runs every check CI runs: ruff, mypy --strict, the schema export, the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The Redis tests start a real redis-server on loopback (Debian package), never a fake.
if ! command -v redis-server >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi
echo "== ruff"
.venv/bin/ruff check gateway tests benchmarks
.venv/bin/ruff format --check gateway tests benchmarks
echo "== mypy --strict gateway"
.venv/bin/mypy --strict gateway
# The browser test drives Debian's chromium (never a downloaded browser build).
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (apt-get)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "== pytest"
.venv/bin/pytest -q -p no:cacheprovider "$@"
