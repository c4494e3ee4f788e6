#!/usr/bin/env bash
# Kills the Workers under `wrangler dev` (SIGKILL to the process group) in the middle of a
# publishing drain, restarts them on the same persisted local D1, and checks the engine recovers
# with no duplicate, no loss and nothing left in flight (tests/src/bin/crash.rs does the work and
# prints the figures; it exits non-zero on any of them).
#   crash.sh <state dir> <scenario: claimed|delivering|calls> <publications> <accounts> [wrangler args…]
# Expects the Workers built (scripts/build-worker.sh and publisher) and the Node tools installed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
state=$1 scenario=$2 publications=$3 accounts=$4
shift 4
mkdir -p "$state"
cargo build --quiet -p herald-tests --bin crash

CI=1 "$WRANGLER" d1 migrations apply DB --local --persist-to "$state/d1" >"$state/migrate.log" 2>&1 \
  || { cat "$state/migrate.log"; exit 1; }
port=$(free_port)
# The driver polls and sets up as one user: no per-user limit it could reach.
vars=(--var ENVIRONMENT:development --var "JWT_SECRET:$(random_secret)" \
  --var "TOKEN_KEYS:crash:$(head -c 32 /dev/urandom | base64 -w0)" \
  --var "PLATFORM_ALLOW_PRIVATE:1" --var "RATE_LIMIT_USER:1000000000/60" --var "DEFAULT_PLAN:enterprise")
python3 scripts/worker_config.py wrangler.publisher.toml "$state/publisher.json" "${vars[@]}"
# What the driver runs to start (and, after the kill, restart) both Workers on the same state. A
# killed session cannot take its Workers out of wrangler's dev registry: the stale entries would
# keep the cron from reaching the new publisher ("owner unavailable") for about 80 s.
{
  printf 'rm -rf %q\n' "$state/registry"
  printf 'cd %q\nexec %q dev -c wrangler.toml -c %q --port %q --ip 127.0.0.1 --show-interactive-dev-session=false --persist-to %q' \
    "$ROOT" "$WRANGLER" "$state/publisher.json" "$port" "$state/d1"
  printf ' %q' "${vars[@]}" "$@"
  printf '\n'
} >"$state/start.sh"

# Sessions register their Workers here, not in the user's registry: the cron goes to this run's.
export WRANGLER_REGISTRY_PATH=$state/registry
HERALD_BASE_URL="http://127.0.0.1:$port" HERALD_CRASH_START="$state/start.sh" HERALD_CRASH_LOG="$state/wrangler.log" \
  HERALD_PUBLISHER_WORKER=${HERALD_PUBLISHER_WORKER:-herald-publisher} \
  "$CARGO_TARGET_DIR/debug/crash" "$scenario" "$publications" "$accounts" \
  || { log "crash test ($scenario) failed; the Workers' log:"; tail -40 "$state/wrangler.log" >&2; exit 1; }
