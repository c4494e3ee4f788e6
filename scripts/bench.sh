#!/usr/bin/env bash
# Prints Herald's figures (nothing here asserts on them):
#   - the Worker's wasm size, raw and gzipped;
#   - requests/s and p50/p99 under `wrangler dev` for GET /health and an authenticated
#     GET /api/v1/workspaces, in the same run, plus a login's latency;
#   - in-process time per request for the same routes;
#   - a version diff of two 4,000-word bodies (edited, and unrelated: bounded), in process;
#   - in-process time per request for the same routes, the authenticated one with and without
#     its per-user rate limit, and the in-process limiter's check alone (ns per call);
#   (the Worker under load gets a per-user limit one user cannot reach: the load comes from one
#   user, and such a policy has no binding, so the Worker counts it in the isolate)
#   - listing 50 posts out of 10,000 with a filter and a search term;
#   - all of it over D1/SQLite and over PostgreSQL (in process, and through Hyperdrive), in one run;
#   - the CPU time of one password hash in wasm, per profile, in V8 (workerd's engine);
#   - scheduled publishing on the Worker: BENCH_TARGETS (10,000) publications due in the same
#     minute across BENCH_ACCOUNTS (100) accounts of a local Mastodon-contract server, one cron
#     fire, the local queue delivering: time to drain, publishes/s, duplicates and losses.
# BENCH_SECONDS and BENCH_CLIENTS tune the load (default 10 s, 8 clients).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust
ensure_node_tools
bash scripts/build-worker.sh
bash scripts/build-worker.sh postgres

for variant in d1 postgres; do
  wasm=$(worker_out "$variant")/index_bg.wasm
  raw=$(stat -c %s "$wasm"); gz=$(gzip -9c "$wasm" | wc -c)
  awk -v v="$variant" -v r="$raw" -v g="$gz" 'BEGIN { printf "size        Worker wasm (%-8s)       raw %d bytes (%.0f KiB), gzip -9 %d bytes (%.0f KiB)\n", v, r, r/1024, g, g/1024 }'
done

log "building the benchmark and the wasm hasher (release)"
cargo build --quiet --release -p herald-tests --bin bench
cargo build --quiet --release -p herald-hashbench --target wasm32-unknown-unknown
bench=$CARGO_TARGET_DIR/release/bench

"$NODE22/node" tests/hashbench/run.mjs "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/herald_hashbench.wasm"
ensure_postgres
cargo build --quiet -p herald-native --bin herald-migrate
state=$(mktemp -d); pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null; done
  for db in herald_bench_inproc_$$ herald_bench_worker_$$; do
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  done
  rm -rf "$state"
  return 0
}
trap cleanup EXIT

"$bench" in-process sqlite
"$bench" diff
"$bench" posts sqlite
bench_pg=$(fresh_postgres_db "herald_bench_inproc_$$" 2>/dev/null)
HERALD_TEST_DATABASE_URL=$bench_pg "$bench" in-process postgres
HERALD_TEST_DATABASE_URL=$bench_pg "$bench" posts postgres

# worker <label> [wrangler args…]: serves the Worker, loads it, stops it.
worker() {
  local label=$1 port; shift
  port=$(free_port)
  setsid "$WRANGLER" dev --port "$port" --ip 127.0.0.1 --show-interactive-dev-session=false --var ENVIRONMENT:development \
    --var "JWT_SECRET:$(random_secret)" --var "TOKEN_KEYS:bench:$(head -c 32 /dev/urandom | base64 -w0)" \
    --var "PLATFORM_ALLOW_PRIVATE:1" --var "RATE_LIMIT_USER:1000000000/60" --test-scheduled "$@" >"$state/$label.log" 2>&1 &
  pids+=($!)
  wait_for_http "http://127.0.0.1:$port/health" 120 || { cat "$state/$label.log"; exit 1; }
  "$bench" load "http://127.0.0.1:$port" "${BENCH_SECONDS:-10}" "${BENCH_CLIENTS:-8}" "$label"
  "$bench" posts "$label" "http://127.0.0.1:$port"
  "$bench" publish "http://127.0.0.1:$port" "${BENCH_TARGETS:-10000}" "${BENCH_ACCOUNTS:-100}"
  kill -- "-${pids[-1]}" 2>/dev/null
}

CI=1 "$WRANGLER" d1 migrations apply DB --local --persist-to "$state/d1" >/dev/null 2>&1
worker d1 --persist-to "$state/d1"
export CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE
CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE=$(fresh_postgres_db "herald_bench_worker_$$" 2>/dev/null)
worker hyperdrive-pg --env postgres --persist-to "$state/pg"
