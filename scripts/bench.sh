#!/usr/bin/env bash
# Prints Herald's figures (nothing here asserts on them):
#   - the size, raw and gzip -9, of every function and component: the HTTP API Worker, the AI
#     Worker and the publisher Worker, each over D1 and Postgres, and the Spin components
#     (scripts/check-spin.sh);
#   - for each Worker setup (D1, Hyperdrive) the time from starting `wrangler dev` (the three
#     Workers, custom builds up to date) to the API's first 200 from /health, to the AI Worker's
#     first answer through the API (a 401 from an AI route without a token) and to the
#     publisher's first answer (its cron fired through wrangler's local explorer, the handler's
#     outcome ok);
#   - requests/s and p50/p99 under `wrangler dev` for GET /health and an authenticated
#     GET /api/v1/workspaces, in the same run, plus a login's latency; the same, and the list of
#     50 posts of 10,000, against the nine Spin components under a real Spin host (over its
#     SQLite and over PostgreSQL), with the Spin process's resident memory after the load;
#   - in-process time per request for the same routes;
#   - for every route the suite exercises, its round trips to the database (the most one call
#     took, and its budget) and the median time of a call, in process;
#   - a version diff of two 4,000-word bodies (edited, and unrelated: bounded), in process;
#   - in-process time per request for the same routes, the authenticated one with and without
#     its per-user rate limit, and the in-process limiter's check alone (ns per call);
#   - what a plan's limit check (the counter and its guard in the write's batch) adds to a
#     write, in process over SQLite and over PostgreSQL;
#   (the Worker under load gets a per-user limit one user cannot reach: the load comes from one
#   user, and such a policy has no binding, so the Worker counts it in the isolate)
#   - listing 50 posts out of 10,000 with a filter and a search term;
#   - all of it over D1/SQLite and over PostgreSQL (in process, and through Hyperdrive), in one run;
#   - the CPU time of one password hash in wasm, per profile, in V8 (workerd's engine);
#   - scheduled publishing on the publisher Worker: BENCH_TARGETS (10,000) publications due in the same
#     minute across BENCH_ACCOUNTS (100) accounts of a local Mastodon-contract server, one cron
#     fire, the local queue delivering: time to drain, publishes/s, duplicates and losses;
#   - crash recovery (scripts/crash.sh): BENCH_CRASH_TARGETS (1,000) publications on 20 accounts,
#     both Workers killed with SIGKILL as the claim answers, while the queue delivers, and during
#     platform calls, restarted on the same state: time to recover, duplicates, losses, stuck.
# BENCH_SECONDS and BENCH_CLIENTS tune the load (default 10 s, 8 clients).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust
ensure_node_tools
workers=(d1 postgres ai ai-postgres publisher publisher-postgres)
for variant in "${workers[@]}"; do bash scripts/build-worker.sh "$variant"; done
log "building the Spin components (scripts/check-spin.sh)"
bash scripts/check-spin.sh >/dev/null

size() { # label wasm
  local raw gz; raw=$(stat -c %s "$2"); gz=$(gzip -9c "$2" | wc -c)
  awk -v v="$1" -v r="$raw" -v g="$gz" 'BEGIN { printf "size        %-30s raw %9d bytes (%5.0f KiB), gzip -9 %9d bytes (%5.0f KiB)\n", v, r, r/1024, g, g/1024 }'
}
for variant in "${workers[@]}"; do
  case $variant in
    d1|postgres) size "Worker API ($variant)" "$(worker_out "$variant")/index_bg.wasm" ;;
    ai) size "Worker AI (d1)" "$(worker_out "$variant")/index_bg.wasm" ;;
    ai-postgres) size "Worker AI (postgres)" "$(worker_out "$variant")/index_bg.wasm" ;;
    publisher) size "Worker publisher (d1)" "$(worker_out "$variant")/index_bg.wasm" ;;
    publisher-postgres) size "Worker publisher (postgres)" "$(worker_out "$variant")/index_bg.wasm" ;;
  esac
done
# The components' build commands put them under the repository's target/ (see spin.toml).
for component in $(python3 scripts/check_spin_manifest.py --manifest spin.toml --builds | cut -f1); do
  size "Spin component $component" "$ROOT/target/spin/$component.wasm"
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
  for db in herald_bench_inproc_$$ herald_bench_worker_$$ herald_bench_spin_$$; do
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  done
  rm -rf "$state"
  return 0
}
trap cleanup EXIT

# Round trips to the database per route: the whole suite in process, every call logged
# (tests/src/trips.rs), summed up per route with its budget and median time.
rm -f "$state/routes.log"
# The suite is only the load here: a test that fails is reported, and the figures go on.
HERALD_ROUTE_LOG=$state/routes.log cargo test --quiet --release -p herald-tests --test suite >"$state/suite.log" 2>&1 \
  || { log "the suite failed under the bench (its round trips are still counted):"; grep -A3 -- "^---- " "$state/suite.log" >&2 || true; }
python3 scripts/route_trips.py "$state/routes.log" in-process

"$bench" in-process sqlite
"$bench" diff
"$bench" posts sqlite
bench_pg=$(fresh_postgres_db "herald_bench_inproc_$$" 2>/dev/null)
HERALD_TEST_DATABASE_URL=$bench_pg "$bench" in-process postgres
HERALD_TEST_DATABASE_URL=$bench_pg "$bench" posts postgres

# Sessions register their Workers here, not in the user's registry: a cron is dispatched to
# this run's publisher, never to a parallel session's Worker of the same name.
export WRANGLER_REGISTRY_PATH=$state/registry

# first_answer <started> <url> [curl args…]: seconds from <started> (date +%s.%N) until <url>
# answers $FIRST_CODE (200 unless set; and, from the local explorer, the scheduled handler's outcome
# is ok); "none" after 120 s. Polled every 50 ms.
first_answer() {
  local started=$1 url=$2; shift 2
  local deadline=$((SECONDS + 120)) code want=${FIRST_CODE:-200}
  while [ $SECONDS -lt $deadline ]; do
    code=$(curl -s -o "$state/answer" -w '%{http_code}' "$@" "$url" 2>/dev/null || true)
    if [ "$code" = "$want" ] && { ! grep -q '"outcome"' "$state/answer" || grep -q '"outcome":"ok"' "$state/answer"; }; then
      awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f s", b - a }'; return
    fi
    sleep 0.05
  done
  echo none
}

# worker <label> <publisher name> [wrangler args…]: serves the three Workers in one `wrangler dev`
# (the AI Worker and the publisher get the same --var settings through copies of their
# configurations), times their first answers, loads the API, publishes through the publisher,
# stops them.
worker() {
  local label=$1 publisher=$2 port; shift 2
  port=$(free_port)
  local vars=(--var ENVIRONMENT:development --var "JWT_SECRET:$(random_secret)" \
    --var "TOKEN_KEYS:bench:$(head -c 32 /dev/urandom | base64 -w0)" \
    --var "PLATFORM_ALLOW_PRIVATE:1" --var "RATE_LIMIT_USER:1000000000/60" --var "DEFAULT_PLAN:enterprise")
  python3 scripts/worker_config.py wrangler.publisher.toml "$state/publisher-$label.json" "${vars[@]}"
  python3 scripts/worker_config.py wrangler.ai.toml "$state/ai-$label.json" "${vars[@]}"
  local started; started=$(date +%s.%N)
  setsid "$WRANGLER" dev -c wrangler.toml -c "$state/publisher-$label.json" -c "$state/ai-$label.json" --port "$port" --ip 127.0.0.1 \
    --show-interactive-dev-session=false "${vars[@]}" "$@" >"$state/$label.log" 2>&1 &
  pids+=($!)
  local api_first; api_first=$(first_answer "$started" "http://127.0.0.1:$port/health")
  [ "$api_first" != none ] || { cat "$state/$label.log"; exit 1; }
  # An AI route without a token: the AI Worker's 401, through the API Worker's binding.
  local ai_first; ai_first=$(FIRST_CODE=401 first_answer "$started" \
    "http://127.0.0.1:$port/api/v1/workspaces/00000000-0000-0000-0000-000000000000/ai/settings")
  local publisher_first; publisher_first=$(first_answer "$started" \
    "http://127.0.0.1:$port/cdn-cgi/local/explorer/api/local/scheduled?worker=$publisher" \
    -X POST -H 'content-type: application/json' -d '{"cron":"* * * * *"}')
  printf 'startup     %-14s wrangler dev to the API'"'"'s first 200 from /health %s; to the AI Worker'"'"'s first answer %s; to the publisher'"'"'s first scheduled answer %s\n' \
    "$label" "$api_first" "$ai_first" "$publisher_first"
  export HERALD_PUBLISHER_WORKER=$publisher
  "$bench" load "http://127.0.0.1:$port" "${BENCH_SECONDS:-10}" "${BENCH_CLIENTS:-8}" "$label"
  "$bench" posts "$label" "http://127.0.0.1:$port"
  "$bench" publish "http://127.0.0.1:$port" "${BENCH_TARGETS:-10000}" "${BENCH_ACCOUNTS:-100}"
  kill -- "-${pids[-1]}" 2>/dev/null
}

CI=1 "$WRANGLER" d1 migrations apply DB --local --persist-to "$state/d1" >/dev/null 2>&1
worker d1 herald-publisher --persist-to "$state/d1"
log "crash recovery on the Workers over local D1: killed as the claim answers, while the queue delivers, during platform calls"
for scenario in claimed delivering calls; do
  bash scripts/crash.sh "$state/crash-$scenario" "$scenario" "${BENCH_CRASH_TARGETS:-1000}" 20 || log "crash ($scenario) failed"
done
export CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE
CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE=$(fresh_postgres_db "herald_bench_worker_$$" 2>/dev/null)
# Under --env postgres wrangler names each Worker after its environment.
worker hyperdrive-pg herald-publisher-postgres --env postgres --persist-to "$state/pg"

# spin_bench <label> [spin up args…]: the nine components under a real Spin host (production
# manifest), migrated through the migrate route, then the same load and list as the Workers'.
spin_bench() {
  local label=$1 port tick; shift
  port=$(free_port); tick=$(random_secret)
  mkdir -p "$state/$label"
  setsid "$spin_bin" up -f spin.toml --state-dir "$state/$label" --listen "127.0.0.1:$port" \
    --variable "jwt_secret=$(random_secret)" --variable "tick_secret=$tick" \
    --variable "rate_limit_user=1000000000/60" --variable "rate_limit_auth=1000000/60" --variable default_plan=enterprise "$@" >"$state/$label.log" 2>&1 &
  pids+=($!)
  local spin_pid=$!
  wait_for_http "http://127.0.0.1:$port/health" 120 || { cat "$state/$label.log"; exit 1; }
  curl -fsS -X POST "http://127.0.0.1:$port/api/v1/internal/migrate" -H "authorization: Bearer $tick" >/dev/null
  "$bench" load "http://127.0.0.1:$port" "${BENCH_SECONDS:-10}" "${BENCH_CLIENTS:-8}" "$label"
  "$bench" posts "$label" "http://127.0.0.1:$port"
  # spin up runs the trigger as a child: the whole process group counts.
  ps -o rss= -g "$spin_pid" | awk -v l="$label" '{ k += $1 }
    END { printf "memory      %-14s the Spin processes (spin up and its trigger, nine components) resident after the load: %.0f MiB\n", l, k/1024 }'
  kill -- "-$spin_pid" 2>/dev/null
}

if spin_bin=$(spin_host); then
  spin_bench spin-sqlite
  spin_owner="postgres://postgres@$PG_HOST:$PG_PORT/herald_bench_spin_$$?sslmode=disable"
  spin_app="$(fresh_postgres_db "herald_bench_spin_$$" 2>/dev/null)?sslmode=disable"
  spin_bench spin-pg --variable "database_url=$spin_app" --variable "migration_database_url=$spin_owner" \
    --variable "database_host=$PG_HOST:$PG_PORT"
else
  log "no Spin host (install Spin 4.0+ from its releases, or set HERALD_SPIN): no Spin figures"
fi
