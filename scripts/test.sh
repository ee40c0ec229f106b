#!/usr/bin/env bash
# `npm test`: install what is missing (cached), build, lint, then the whole suite on one shared
# Postgres and one Temporal dev server. Extra arguments filter test files by path.
set -euo pipefail
cd "$(dirname "$0")/.."
HERALD_BOOTSTRAP_TEST_TOOLS=1 bash scripts/bootstrap.sh
npm run -s lint
exec node dist/test/run.js "$@"
