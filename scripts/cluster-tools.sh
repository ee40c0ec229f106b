#!/usr/bin/env bash
# The tools `npm run cluster`, `npm run soak` and `npm run bench -- --cluster` need beyond
# bootstrap.sh's, built once and cached (not by `npm test`):
#   - the Temporal server and its SQL schema tool, built from the pinned Go module
#     go.temporal.io/server (the schemas are embedded in the tool) into
#     $CACHE/temporal-server/<version>/bin/{temporal-server,temporal-sql-tool}
# The module needs a newer Go than the machine's: GOTOOLCHAIN fetches it from the Go module proxy.
# A second run takes milliseconds. Override with HERALD_TEMPORAL_SERVER / HERALD_TEMPORAL_SQL_TOOL.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="$(node -p "require('./deploy/processes.json').temporal.server.split('@')[1]")"
GO_TOOLCHAIN=go1.26.10
CACHE="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
DIR="$CACHE/temporal-server/$VERSION"
log() { printf 'herald cluster-tools: %s\n' "$*" >&2; }

if [ -x "$DIR/bin/temporal-server" ] && [ -x "$DIR/bin/temporal-sql-tool" ]; then exit 0; fi
command -v go >/dev/null || { log "ERROR: building the Temporal server needs Go (any 1.2x; GOTOOLCHAIN=$GO_TOOLCHAIN is fetched)"; exit 1; }
log "building the Temporal server $VERSION and its SQL tool (about 10 minutes, once)"
mkdir -p "$DIR"
# Built into a scratch directory and moved into place: an interrupted build leaves nothing half-made.
scratch="$(mktemp -d "$DIR/.build-XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && GOTOOLCHAIN="$GO_TOOLCHAIN" GOBIN="$scratch" GOFLAGS=-mod=mod \
  nice -n 10 go install "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION" >&2)
mkdir -p "$DIR/bin"
mv "$scratch/sql" "$DIR/bin/temporal-sql-tool"
mv "$scratch/server" "$DIR/bin/temporal-server"
log "installed into $DIR/bin"
