#!/usr/bin/env bash
# `npm start`: bootstrap (cached), then the whole stack on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}/bin:$PATH"
exec node --enable-source-maps dist/scripts/dev-stack.js
