#!/usr/bin/env bash
# `npm test`: install what is missing (cached), build, lint, then the whole suite on one shared
# Postgres and one Temporal dev server. Extra arguments filter test files by path.
set -euo pipefail
cd "$(dirname "$0")/.."
HERALD_BOOTSTRAP_TEST_TOOLS=1 bash scripts/bootstrap.sh

# Two tools are Go builds of minutes when cold: the Helm chart's validator (test/e2e/helm-chart)
# and Jaeger (test/e2e/tracing). When this run includes their tests, build them now, one after
# the other at the lowest CPU priority, beside lint and the tests before them; each test waits
# for its tool (the scripts' locks). A filter is a substring of the test file's path.
in_run() {
  [ "$#" -gt 1 ] || return 0
  local file=$1; shift
  for filter in "$@"; do [[ "$file" == *"$filter"* ]] && return 0; done
  return 1
}
cache="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
mkdir -p "$cache/jaeger"
tools=()
in_run e2e/helm-chart.test.js "$@" && tools+=("scripts/chart-check.sh")
in_run e2e/tracing.test.js "$@" && tools+=("scripts/install-jaeger.sh")
if [ ${#tools[@]} -gt 0 ]; then
  nohup nice -n 19 bash -c 'for t in "$@"; do bash "$t" >/dev/null 2>"'"$cache"'/$(basename "$t" .sh)-build.log" || true; done' tools "${tools[@]}" </dev/null >/dev/null 2>&1 &
fi
npm run -s lint
exec node dist/test/run.js "$@"
