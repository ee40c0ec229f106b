#!/usr/bin/env bash
# Builds deploy/chart-check — Helm's command line and the Kubernetes API types' strict decoder in
# one Go program (helm.sh/helm/v4, k8s.io/*; versions pinned in its go.mod) — into the cache,
# once per source hash, and prints the binary's path. Idempotent and safe to run concurrently:
# `npm test` starts it in the background while it lints and tests, and
# test/e2e/helm-chart.test.ts runs it again, which waits for that build (or builds) and returns.
# A cold build (empty Go caches) takes minutes; see docs/architecture.md, *Toolchain*.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
SRC=deploy/chart-check
hash="$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" | sha256sum | cut -c1-16)"
dir="$CACHE/chart-check/$hash"
bin="$dir/chart-check"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
if ! command -v go >/dev/null; then
  echo "herald chart-check: ERROR: no Go toolchain; install Go ≥ 1.26 (or set GOTOOLCHAIN to fetch it) to validate the Helm chart" >&2
  exit 1
fi
echo "herald chart-check: building $SRC (helm.sh/helm/v4 + Kubernetes API types) into $dir" >&2
started=$(date +%s)
# -trimpath and no VCS stamp: the binary depends on the sources alone.
(cd "$SRC" && nice -n 19 go build -trimpath -buildvcs=false -o "$bin.tmp" .) >&2
mv "$bin.tmp" "$bin"
echo "herald chart-check: built in $(($(date +%s) - started)) s" >&2
echo "$bin"
