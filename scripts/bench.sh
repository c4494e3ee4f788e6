#!/usr/bin/env bash
# Prints Herald's figures (nothing here asserts on them):
#   - the Worker's wasm size, raw and gzipped;
#   - requests/s and p50/p99 under `wrangler dev` for GET /health and an authenticated
#     GET /api/v1/workspaces, in the same run, plus a login's latency;
#   - in-process time per request for the same routes;
#   - the CPU time of one password hash in wasm, per profile, in V8 (workerd's engine).
# BENCH_SECONDS and BENCH_CLIENTS tune the load (default 10 s, 8 clients).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust
ensure_node_tools
bash scripts/build-worker.sh

wasm=functions/worker/build/index_bg.wasm
raw=$(stat -c %s "$wasm"); gz=$(gzip -9c "$wasm" | wc -c)
awk -v r="$raw" -v g="$gz" 'BEGIN { printf "size        Worker wasm                  raw %d bytes (%.0f KiB), gzip -9 %d bytes (%.0f KiB)\n", r, r/1024, g, g/1024 }'

log "building the benchmark and the wasm hasher (release)"
cargo build --quiet --release -p herald-tests --bin bench
cargo build --quiet --release -p herald-hashbench --target wasm32-unknown-unknown
bench=$CARGO_TARGET_DIR/release/bench

"$NODE22/node" tests/hashbench/run.mjs "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/herald_hashbench.wasm"
"$bench" in-process

state=$(mktemp -d); port=$(free_port)
trap '[ -n "${pid:-}" ] && kill -- "-$pid" 2>/dev/null; rm -rf "$state"' EXIT
CI=1 "$WRANGLER" d1 migrations apply DB --local --persist-to "$state" >/dev/null 2>&1
setsid "$WRANGLER" dev --port "$port" --ip 127.0.0.1 --persist-to "$state" --show-interactive-dev-session=false \
  --var "JWT_SECRET:$(random_secret)" >"$state/wrangler.log" 2>&1 &
pid=$!
wait_for_http "http://127.0.0.1:$port/health" 120 || { cat "$state/wrangler.log"; exit 1; }
"$bench" load "http://127.0.0.1:$port" "${BENCH_SECONDS:-10}" "${BENCH_CLIENTS:-8}"
