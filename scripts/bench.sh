#!/usr/bin/env bash
# `npm run bench [-- --quick] [--cluster]`: bootstrap (cached), then the benchmark (loopback only, bounded).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# --cluster runs on the production topology, whose Temporal server is built once (cached).
case " $* " in *" --cluster "*) bash scripts/cluster-tools.sh ;; esac
export PATH="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}/bin:$PATH"
exec node --enable-source-maps dist/bench/run.js "$@"
