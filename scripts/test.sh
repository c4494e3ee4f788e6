#!/usr/bin/env bash
# Installs what is missing and runs every test:
#   1. unit tests and the black-box suite in process over SQLite;
#   2. the domain crate compiled for wasm32-unknown-unknown and wasm32-wasip2 (it stays runtime-free),
#      the Spin components built and checked against spin.toml, and the suite against them
#      under a real Spin host, over Spin's SQLite and over PostgreSQL;
#   3. the suite in process over PostgreSQL (as the application role, under row-level security),
#      the second-wall test, and migrations run twice at once and adopting the old ledgers;
#   4. the suite against the real Workers under `wrangler dev` over a fresh local D1 (the HTTP API
#      Worker, the AI Worker it hands the AI routes to, and the publisher Worker, whose cron the
#      suite fires, in one session), and this README's walkthrough as written; then the API and
#      publisher killed mid-drain and restarted (scripts/crash.sh);
#   5. the suite against the real Workers over PostgreSQL through Hyperdrive's local connection
#      (their postgres builds: the default D1 builds carry no Postgres driver).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust
ensure_node_tools
ensure_postgres

run_id=$$
state=$(mktemp -d)
pids=()
cleanup() {
  local status=$?
  set +e
  # wrangler runs node, which runs workerd: stop the whole process group.
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  for db in herald_test_inproc_$run_id herald_test_worker_$run_id herald_test_spin_$run_id; do
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  done
  rm -rf "$state"
  exit "$status"
}
trap cleanup EXIT

log "   a local Bluesky PDS (scripts/pds.sh) for the AT Protocol tests, in every run below"
export HERALD_TEST_PDS_URL HERALD_REQUIRE_PDS=1
HERALD_TEST_PDS_URL=$(bash scripts/pds.sh "$state/pds.log" "$state/pds.pid")
pids+=("$(cat "$state/pds.pid")")

# The suite's fake X and LinkedIn listen here (each test process binds it in turn), and the Worker is told.
export HERALD_TEST_X_PORT
HERALD_TEST_X_PORT=$(free_port)

log "1. unit tests and the suite in process (SQLite)"
cargo test --workspace --quiet

log "   presigned URLs against a local S3-compatible server (moto behind a SigV4 check)"
s3_endpoint=$(bash scripts/moto.sh "$state/moto.log" "$state/moto.pid")
pids+=("$(cat "$state/moto.pid")")
HERALD_TEST_S3_ENDPOINT=$s3_endpoint HERALD_REQUIRE_S3=1 cargo test --quiet -p herald-tests --test presigned_urls

log "2. the domain crate builds for every target"
cargo check --quiet -p herald --target wasm32-unknown-unknown
cargo check --quiet -p herald --target wasm32-wasip2
log "   the Spin components (one per area) build for wasm32-wasip2 and agree with spin.toml"
bash scripts/check-spin.sh
log "   the suite against the Spin components under a real Spin host (SQLite, media in moto)"
if spin_host >/dev/null; then
  bash scripts/spin-suite.sh "$state/spin-sqlite"
  log "   the suite against the Spin components over PostgreSQL (as the application role)"
  cargo build --quiet -p herald-native --bin herald-migrate
  spin_pg=herald_test_spin_$run_id
  HERALD_SPIN_DATABASE_URL="$(fresh_postgres_db "$spin_pg")?sslmode=disable" \
    HERALD_SPIN_MIGRATION_DATABASE_URL="postgres://postgres@$PG_HOST:$PG_PORT/$spin_pg?sslmode=disable" \
    bash scripts/spin-suite.sh "$state/spin-pg"
else
  log "   SKIPPED: no Spin host (install Spin 4.0+ from its releases, or set HERALD_SPIN): the Spin targets did not run"
fi

log "3. the suite in process over PostgreSQL, and row-level security"
cargo build --quiet -p herald-native --bin herald-migrate
pg_url=$(fresh_postgres_db "herald_test_inproc_$run_id")
HERALD_TEST_DATABASE_URL=$pg_url HERALD_REQUIRE_POSTGRES=1 HERALD_TEST_S3_ENDPOINT=$s3_endpoint \
  cargo test --quiet -p herald-tests --test suite --test row_level_security --test presigned_urls
log "   the one migration runner on Postgres: two runs at once, the old ledgers adopted"
HERALD_TEST_PG_ADMIN_URL=$PG_ADMIN HERALD_REQUIRE_POSTGRES=1 cargo test --quiet -p herald-native --test migrate

test_const() { sed -n "s/^pub const $1: &str = \"\(.*\)\";\$/\1/p" "tests/src/${2:-lib}.rs"; }
secret=$(test_const TEST_JWT_SECRET); tick_secret=$(test_const TEST_TICK_SECRET)
token_keys=$(test_const TEST_TOKEN_KEYS)
retry_base=$(sed -n 's/^pub const TEST_RETRY_BASE_MS: i64 = \([0-9]*\);$/\1/p' tests/src/lib.rs)
[ -n "$secret" ] && [ -n "$tick_secret" ] && [ -n "$token_keys" ] && [ -n "$retry_base" ] \
  && [ -n "$(test_const TEST_STRIPE_KEY)" ] && [ -n "$(test_const TEST_STRIPE_WEBHOOK_SECRETS)" ] \
  && [ -n "$(test_const TEST_STRIPE_PRICES)" ] || { log "could not read the test secrets from tests/src/lib.rs (one line each)"; exit 1; }
# The AI providers of the tests: FAKE stands for the fake server's address (tests/src/lib.rs).
ai_providers=$(test_const TEST_AI_PROVIDERS); ai_providers=${ai_providers//FAKE/http://127.0.0.1:$HERALD_TEST_X_PORT}
for c in TEST_AI_PROVIDERS TEST_AI_KEYS TEST_AI_PRICES TEST_AI_TIMEOUT_MS TEST_AI_DEADLINE_MS; do
  [ -n "$(test_const "$c")" ] || { log "could not read $c from tests/src/lib.rs (one line each)"; exit 1; }
done

bash scripts/build-worker.sh
bash scripts/build-worker.sh ai
bash scripts/build-worker.sh publisher
worker_fits d1
worker_fits ai
worker_fits publisher

# The OAuth clients the fake platforms know (tests/src/fakes.rs).
oauth_vars=()
for p in X LINKEDIN FACEBOOK INSTAGRAM THREADS TIKTOK; do
  id=$(test_const "${p}_CLIENT_ID" fakes); client_secret=$(test_const "${p}_CLIENT_SECRET" fakes)
  [ -n "$id" ] && [ -n "$client_secret" ] || { log "no test OAuth client for $p in tests/src/fakes.rs"; exit 1; }
  oauth_vars+=(--var "OAUTH_${p}_CLIENT_ID:$id" --var "OAUTH_${p}_CLIENT_SECRET:$client_secret")
done

# Each wrangler dev session registers its Workers here, not in the user's registry, so that a
# parallel run's Workers (same names) are never the ones a cron is dispatched to.
export WRANGLER_REGISTRY_PATH=$state/registry
# The suite fires the publisher Worker's cron (tests/src/lib.rs, fire_worker_cron).
export HERALD_PUBLISHER_WORKER=herald-publisher

# start_worker <log> [wrangler args…]: serves the three Workers in one `wrangler dev` (the HTTP API
# on a free port, kept in $port, with the AI Worker and the publisher beside it); the AI Worker
# and the publisher get the same settings through copies of their configurations (--var reaches
# the first Worker only).
start_worker() {
  local log_file=$1; shift
  port=$(free_port)
  local vars=(--var ENVIRONMENT:development \
    --var "JWT_SECRET:$secret" --var "TICK_SECRET:$tick_secret" --var "ALLOWED_ORIGINS:https://app.example.test" \
    --var "TOKEN_KEYS:$token_keys" --var "PLATFORM_ALLOW_PRIVATE:1" --var "PUBLISH_RETRY_BASE_MS:$retry_base" \
    --var "PLATFORM_URLS:$(for p in x linkedin facebook instagram threads tiktok stripe; do printf '%s=http://127.0.0.1:%s,' "$p" "$HERALD_TEST_X_PORT"; done)" \
    "${oauth_vars[@]}" --var "PUBLIC_URL:http://127.0.0.1:$port" --var "PLATFORM_TIMEOUT_MS:5000" \
    --var "RATE_LIMIT_USER:${worker_user_limit:-1000/60}" --var "DEFAULT_PLAN:enterprise" \
    --var "STRIPE_SECRET_KEY:$(test_const TEST_STRIPE_KEY)" --var "STRIPE_WEBHOOK_SECRET:$(test_const TEST_STRIPE_WEBHOOK_SECRETS)" \
    --var "STRIPE_PRICES:$(test_const TEST_STRIPE_PRICES)" \
    --var "AI_PROVIDERS:$ai_providers" --var "AI_KEYS:$(test_const TEST_AI_KEYS)" --var "AI_PRICES:$(test_const TEST_AI_PRICES)" \
    --var "AI_TIMEOUT_MS:$(test_const TEST_AI_TIMEOUT_MS)" --var "AI_DEADLINE_MS:$(test_const TEST_AI_DEADLINE_MS)")
  python3 scripts/worker_config.py wrangler.publisher.toml "$state/publisher-$port.json" "${vars[@]}"
  python3 scripts/worker_config.py wrangler.ai.toml "$state/ai-$port.json" "${vars[@]}"
  setsid "$WRANGLER" dev -c wrangler.toml -c "$state/publisher-$port.json" -c "$state/ai-$port.json" --port "$port" --ip 127.0.0.1 \
    --show-interactive-dev-session=false "${vars[@]}" "$@" >"$log_file" 2>&1 &
  pids+=($!)
  if ! wait_for_http "http://127.0.0.1:$port/health" 120; then
    log "wrangler dev did not come up"; cat "$log_file" >&2; return 1
  fi
}

suite_against() { # port log database
  HERALD_BASE_URL="http://127.0.0.1:$1" HERALD_TARGET_DB=$3 cargo test --quiet -p herald-tests --test suite \
    || { log "Worker log:"; tail -50 "$2"; return 1; }
}

log "4. the suite against the Worker under wrangler dev over local D1"
CI=1 "$WRANGLER" d1 migrations apply DB --local --persist-to "$state/d1" >"$state/migrate.log" 2>&1 \
  || { cat "$state/migrate.log"; exit 1; }
start_worker "$state/d1.log" --persist-to "$state/d1"
suite_against "$port" "$state/d1.log" d1

log "   the README walkthrough, as written, against the same Worker"
awk '/^```sh walkthrough/ { f = 1; next } /^```/ { f = 0 } f' README.md > "$state/walkthrough.sh"
members=$(HERALD_URL="http://127.0.0.1:$port" bash -euo pipefail "$state/walkthrough.sh")
grep -q '"role": "editor"' <<<"$members" && grep -q '"role": "owner"' <<<"$members" \
  || { log "the walkthrough did not end with an owner and an editor:"; echo "$members"; exit 1; }

log "   the review page in a real headless Chromium (Debian's chromium), against the same Worker"
# The browser's review decisions come from 127.0.0.1, like the walkthrough's sign-ups: start them
# in a fresh rate-limit window (windows are aligned to the minute) so the two do not add up.
sleep $((61 - $(date +%s) % 60))
bash scripts/browser-test.sh "http://127.0.0.1:$port"

# fuzz_worker <label> [wrangler args…]: the property-based run over the served document, on a
# Worker of its own whose per-user limit is off (its one user sends thousands of requests a
# minute; auth routes stay limited and may answer their documented 429).
fuzz_worker() {
  local label=$1; shift
  kill -- "-${pids[-1]}" 2>/dev/null || true
  worker_user_limit=off start_worker "$state/fuzz-$label.log" "$@"
  bash scripts/fuzz.sh "http://127.0.0.1:$port" "$label" || { log "Worker log:"; tail -30 "$state/fuzz-$label.log"; return 1; }
  kill -- "-${pids[-1]}" 2>/dev/null || true
}

log "   the property-based run over the OpenAPI document (schemathesis), against the Worker over D1"
CI=1 "$WRANGLER" d1 migrations apply DB --local --persist-to "$state/fuzz-d1" >"$state/fuzz-migrate.log" 2>&1 \
  || { cat "$state/fuzz-migrate.log"; exit 1; }
fuzz_worker d1 --persist-to "$state/fuzz-d1"

log "   crash recovery: both Workers killed (SIGKILL) mid-drain with platform calls in flight, restarted on the same state"
bash scripts/crash.sh "$state/crash" calls 400 20

log "5. the suite against the Worker over PostgreSQL through Hyperdrive"
export CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE
CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE=$(fresh_postgres_db "herald_test_worker_$run_id")
bash scripts/build-worker.sh postgres
bash scripts/build-worker.sh ai-postgres
bash scripts/build-worker.sh publisher-postgres
worker_fits postgres
worker_fits ai-postgres
worker_fits publisher-postgres

log "   the default (D1) build, given a HYPERDRIVE binding, refuses instead of serving D1 in its place"
refuse_port=$(free_port)
setsid "$WRANGLER" dev functions/worker/build/index.js --env postgres --port "$refuse_port" --ip 127.0.0.1 \
  --show-interactive-dev-session=false --var "JWT_SECRET:$secret" --persist-to "$state/refuse" >"$state/refuse.log" 2>&1 &
refuse_pid=$!; pids+=("$refuse_pid")
refused=""
for _ in $(seq 240); do
  refused=$(curl -s -D "$state/refuse.headers" -o "$state/refuse.json" -w '%{http_code}' "http://127.0.0.1:$refuse_port/health" 2>/dev/null || true)
  [ "$refused" != "000" ] && [ -n "$refused" ] && break
  sleep 0.5
done
for _ in $(seq 20); do grep -q "no Postgres driver" "$state/refuse.log" && break; sleep 0.5; done
# The answer is the domain's, with its request id and security headers.
if [ "$refused" != 503 ] || ! grep -q '"SERVICE_UNAVAILABLE"' "$state/refuse.json" \
  || ! grep -q '"requestId":"req_' "$state/refuse.json" || ! grep -qi '^x-content-type-options: nosniff' "$state/refuse.headers" \
  || ! grep -q "no Postgres driver" "$state/refuse.log"; then
  log "the D1 build answered $refused over a HYPERDRIVE binding:"; cat "$state/refuse.json" >&2; tail -20 "$state/refuse.log" >&2
  exit 1
fi
kill -- "-$refuse_pid" 2>/dev/null || true

# Under --env postgres wrangler names each Worker after its environment.
export HERALD_PUBLISHER_WORKER=herald-publisher-postgres
start_worker "$state/pg.log" --env postgres --persist-to "$state/pg"
suite_against "$port" "$state/pg.log" postgres

log "   the property-based run over the OpenAPI document, against the Worker over PostgreSQL (Hyperdrive)"
fuzz_worker hyperdrive-pg --env postgres --persist-to "$state/pg"

log "all tests passed"
