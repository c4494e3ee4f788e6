#!/usr/bin/env bash
# Installs what is missing and runs every test:
#   1. unit tests and the black-box suite in process over SQLite;
#   2. the domain crate compiled for wasm32-unknown-unknown and wasm32-wasip2 (it stays runtime-free);
#   3. the same black-box suite against the real Worker under `wrangler dev` over a fresh local D1.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust
ensure_node_tools

log "unit tests and the suite in process (SQLite)"
cargo test --workspace --quiet

log "the domain crate builds for every target"
cargo check --quiet -p herald --target wasm32-unknown-unknown
cargo check --quiet -p herald --target wasm32-wasip2

bash scripts/build-worker.sh

state=$(mktemp -d)
port=$(free_port)
cleanup() {
  [ -n "${wrangler_pid:-}" ] && kill "$wrangler_pid" 2>/dev/null && wait "$wrangler_pid" 2>/dev/null
  rm -rf "$state"
}
trap cleanup EXIT
test_const() { sed -n "s/^pub const $1: &str = \"\(.*\)\";\$/\1/p" tests/src/lib.rs; }
secret=$(test_const TEST_JWT_SECRET); tick_secret=$(test_const TEST_TICK_SECRET)
[ -n "$secret" ] && [ -n "$tick_secret" ] || { log "could not read the test secrets from tests/src/lib.rs"; exit 1; }

log "the suite against the Worker under wrangler dev (local D1 in $state)"
CI=1 "$WRANGLER" d1 migrations apply DB --local --persist-to "$state" >"$state/migrate.log" 2>&1 \
  || { cat "$state/migrate.log"; exit 1; }
"$WRANGLER" dev --port "$port" --ip 127.0.0.1 --persist-to "$state" --show-interactive-dev-session=false \
  --var "JWT_SECRET:$secret" --var "TICK_SECRET:$tick_secret" --var "ALLOWED_ORIGINS:https://app.example.test" >"$state/wrangler.log" 2>&1 &
wrangler_pid=$!
if ! wait_for_http "http://127.0.0.1:$port/health" 120; then
  log "wrangler dev did not come up"; cat "$state/wrangler.log"; exit 1
fi
if ! HERALD_BASE_URL="http://127.0.0.1:$port" cargo test --quiet -p herald-tests --test suite; then
  log "Worker log:"; tail -50 "$state/wrangler.log"; exit 1
fi
log "the README walkthrough, as written, against the same Worker"
awk '/^```sh walkthrough/ { f = 1; next } /^```/ { f = 0 } f' README.md > "$state/walkthrough.sh"
members=$(HERALD_URL="http://127.0.0.1:$port" bash -euo pipefail "$state/walkthrough.sh")
grep -q '"role": "editor"' <<<"$members" && grep -q '"role": "owner"' <<<"$members" \
  || { log "the walkthrough did not end with an owner and an editor:"; echo "$members"; exit 1; }

log "all tests passed"
