#!/usr/bin/env bash
# Builds Jaeger v2 (`cmd/jaeger`, the all-in-one collector + query service) from its Go module into
# the Herald cache, once per version: $CACHE/jaeger/$JAEGER_VERSION/jaeger. The e2e tracing test
# and `HERALD_DEV_TRACING=1 npm start` run it. Idempotent and safe to run concurrently (a lock);
# a cold build takes minutes (docs/architecture.md, *Tracing*), a warm run returns at once.
# Needs Go (>= the version Jaeger's go.mod names; GOTOOLCHAIN fetches it through the module proxy).
set -euo pipefail

JAEGER_VERSION=v1.75.0
CACHE="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
DIR="$CACHE/jaeger/$JAEGER_VERSION"
BIN="$DIR/jaeger"
log() { printf 'herald jaeger: %s\n' "$*" >&2; }

[ -x "$BIN" ] && exit 0
mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
[ -x "$BIN" ] && exit 0  # built by the holder of the lock meanwhile
if ! command -v go >/dev/null; then
  log "ERROR: Go is needed to build Jaeger $JAEGER_VERSION (apt-get install golang, or https://go.dev/dl), or set HERALD_JAEGER to a jaeger binary"
  exit 1
fi
started=$(date +%s)
log "building Jaeger $JAEGER_VERSION from its Go module (cold: several minutes)"
mod="$DIR/module"
rm -rf "$mod" && mkdir -p "$mod"
( cd "$mod" && go mod init herald-jaeger-tool >/dev/null 2>&1 \
  && go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" >&2 \
  && nice -n 19 go build -trimpath -buildvcs=false -o "$BIN.tmp" github.com/jaegertracing/jaeger/cmd/jaeger >&2 )
mv "$BIN.tmp" "$BIN"
rm -rf "$mod"
log "built $BIN in $(( $(date +%s) - started )) s"
