#!/usr/bin/env bash
# `npm test`: install what is missing (cached), build, lint, then the whole suite on one shared
# Postgres and one Temporal dev server. Extra arguments filter test files by path.
set -euo pipefail
cd "$(dirname "$0")/.."
HERALD_BOOTSTRAP_TEST_TOOLS=1 bash scripts/bootstrap.sh
# The Helm chart's validator is a Go build of minutes when cold: start it now, beside lint and the
# tests before it, when this run includes test/e2e/helm-chart (the test waits for it).
for f in "${@:-}"; do
  if [ -z "$f" ] || [[ "e2e/helm-chart.test.js" == *"$f"* ]]; then
    cache="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
    mkdir -p "$cache"
    bash scripts/chart-check.sh >/dev/null 2>"$cache/chart-check-build.log" &
    break
  fi
done
npm run -s lint
exec node dist/test/run.js "$@"
