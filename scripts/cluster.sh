#!/usr/bin/env bash
# `npm run cluster` / `npm run soak`: bootstrap (cached), the cluster's tools (built once, cached),
# then scripts/<cluster|soak>.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
entry="$1"
shift
bash scripts/bootstrap.sh
bash scripts/cluster-tools.sh
export PATH="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}/bin:$PATH"
exec node --enable-source-maps "dist/scripts/$entry.js" "$@"
