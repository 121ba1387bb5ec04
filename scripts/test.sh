#!/usr/bin/env bash
# Sets up, then runs every check CI runs: ruff, import layers, mypy --strict, the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# Real peers the tests start on loopback: redis-server for the Redis backends, Debian's chromium
# for the GraphiQL browser test (never a downloaded browser build), Debian's postgresql for the
# run catalogue (tests/pgd.py runs a private cluster; its server is not started as a service);
# wrk, the benchmarks' HTTP load generator.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)  # the load figures' generator (benchmarks/wrk.py)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing ${missing[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Apollo composition + gateway for the federation test, graphql-http's audit for the HTTP test,
# and the live transports' real clients (graphql-sse, meros, Apollo Client 4), each pinned by its
# package-lock.json; axe-core for the dashboard's accessibility checks.
for js in tests/federation/js tests/http/js tests/live/js tests/ui/js; do
  if [ ! -d "$js/node_modules" ]; then
    (cd "$js" && npm ci --no-audit --no-fund)
  fi
done

echo "== ruff"
.venv/bin/ruff check gateway tests benchmarks
.venv/bin/ruff format --check gateway tests benchmarks
echo "== lint-imports (the layers of docs/architecture.md)"
.venv/bin/lint-imports
echo "== mypy --strict gateway"
.venv/bin/mypy --strict gateway
echo "== pytest"
.venv/bin/pytest -q -p no:cacheprovider "$@"
