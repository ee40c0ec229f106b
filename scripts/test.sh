#!/usr/bin/env bash
# `npm test`: install what is missing (cached), build, lint, then the whole suite on one shared
# Postgres and one Temporal dev server. Extra arguments filter test files by path.
set -euo pipefail
cd "$(dirname "$0")/.."
HERALD_BOOTSTRAP_TEST_TOOLS=1 bash scripts/bootstrap.sh
# Jaeger, for test/e2e/tracing: built from its Go module when not cached (minutes), in the
# background so the files before it run meanwhile; the test waits for it (the script's lock).
# Only when the run includes that test (the runner's filter: a substring of the file's path).
wants_jaeger=$(( $# == 0 ))
for filter in "$@"; do [[ "e2e/tracing.test.js" == *"$filter"* ]] && wants_jaeger=1; done
if [ "$wants_jaeger" = 1 ]; then
  cache="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
  mkdir -p "$cache/jaeger"
  nohup bash scripts/install-jaeger.sh >"$cache/jaeger/build.log" 2>&1 </dev/null &
fi
npm run -s lint
exec node dist/test/run.js "$@"
