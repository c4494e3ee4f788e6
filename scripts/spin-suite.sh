#!/usr/bin/env bash
# The black-box suite against the Spin components under a real Spin host, over Spin's SQLite,
# with media in a local S3-compatible store (moto):
#   spin-suite.sh <state dir> [suite filter…]
# Needs the components built (scripts/check-spin.sh) and a Spin 4.0+ host: `spin` on PATH, or
# HERALD_SPIN, or the team kit's build beside the repository (../shared/tools/spin/spin).
# Over Postgres instead when HERALD_SPIN_DATABASE_URL (the application role's URL) and
# HERALD_SPIN_MIGRATION_DATABASE_URL (the owner's) are set.
# Expects HERALD_TEST_X_PORT (the suite's fake platforms) like scripts/test.sh sets it; prints
# the Spin log's tail when the suite fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
state=${1:?state dir}
mkdir -p "$state"
shift

spin_bin=$(spin_host) || { log "no Spin host (install Spin 4.0+ from its releases, or set HERALD_SPIN)"; exit 1; }

test_const() { sed -n "s/^pub const $1: &str = \"\(.*\)\";\$/\1/p" "tests/src/${2:-lib}.rs"; }
retry_base=$(sed -n 's/^pub const TEST_RETRY_BASE_MS: i64 = \([0-9]*\);$/\1/p' tests/src/lib.rs)
vars=(--variable "jwt_secret=$(test_const TEST_JWT_SECRET)" --variable "tick_secret=$(test_const TEST_TICK_SECRET)"
  --variable "token_keys=$(test_const TEST_TOKEN_KEYS)" --variable platform_allow_private=1
  --variable "publish_retry_base_ms=$retry_base" --variable platform_timeout_ms=5000 --variable allowed_origins=https://app.example.test
  --variable rate_limit_user=1000/60 --variable password_hash_profile=free-plan --variable default_plan=enterprise
  --variable "stripe_secret_key=$(test_const TEST_STRIPE_KEY)" --variable "stripe_webhook_secret=$(test_const TEST_STRIPE_WEBHOOK_SECRETS)"
  --variable "stripe_prices=$(test_const TEST_STRIPE_PRICES)"
  --variable trusted_ip_header=x-forwarded-for)
for p in x linkedin facebook instagram threads tiktok; do
  vars+=(--variable "oauth_${p}_client_id=$(test_const "${p^^}_CLIENT_ID" fakes)"
    --variable "oauth_${p}_client_secret=$(test_const "${p^^}_CLIENT_SECRET" fakes)")
done
vars+=(--variable "platform_urls=$(for p in x linkedin facebook instagram threads tiktok stripe; do
  printf '%s=http://127.0.0.1:%s,' "$p" "${HERALD_TEST_X_PORT:?}"; done)")
# The AI providers of the tests, at the fake server (FAKE in tests/src/lib.rs stands for its address).
ai_providers=$(test_const TEST_AI_PROVIDERS)
vars+=(--variable "ai_providers=${ai_providers//FAKE/http://127.0.0.1:$HERALD_TEST_X_PORT}"
  --variable "ai_keys=$(test_const TEST_AI_KEYS)" --variable "ai_prices=$(test_const TEST_AI_PRICES)"
  --variable "ai_timeout_ms=$(test_const TEST_AI_TIMEOUT_MS)" --variable "ai_deadline_ms=$(test_const TEST_AI_DEADLINE_MS)")

if [ -n "${HERALD_SPIN_DATABASE_URL:-}" ]; then
  vars+=(--variable "database_url=$HERALD_SPIN_DATABASE_URL"
    --variable "migration_database_url=${HERALD_SPIN_MIGRATION_DATABASE_URL:?and the owner URL}"
    --variable "database_host=$(sed -E 's|^[a-z]+://([^@/]*@)?([^/?]+).*|\2|' <<<"$HERALD_SPIN_DATABASE_URL")")
fi

s3_endpoint=$(bash scripts/moto.sh "$state/spin-moto.log" "$state/spin-moto.pid")
moto_pid=$(cat "$state/spin-moto.pid")
vars+=(--variable "s3_endpoint=$s3_endpoint" --variable "s3_bucket=${HERALD_TEST_S3_BUCKET:-herald-test-media}"
  --variable "s3_access_key_id=${HERALD_TEST_S3_ACCESS_KEY_ID:-HERALDTESTKEY}"
  --variable "s3_secret_access_key=${HERALD_TEST_S3_SECRET_ACCESS_KEY:-herald-test-s3-secret-not-for-production}")

port=$(free_port)
mkdir -p "$state/spin"
# A fresh database and key-value store in the state dir (--state-dir), the development manifest
# (loopback fakes reachable), the components as check-spin.sh built them.
setsid "$spin_bin" up -f spin.dev.toml --state-dir "$state/spin" --listen "127.0.0.1:$port" \
  --variable "public_url=http://127.0.0.1:$port" "${vars[@]}" >"$state/spin.log" 2>&1 &
spin_pid=$!
trap 'kill -- "-$spin_pid" 2>/dev/null; kill -- "-$moto_pid" 2>/dev/null; kill "$moto_pid" 2>/dev/null' EXIT
wait_for_http "http://127.0.0.1:$port/health" 120 || { log "spin up did not come up"; cat "$state/spin.log" >&2; exit 1; }
curl -fsS -X POST "http://127.0.0.1:$port/api/v1/internal/migrate" \
  -H "authorization: Bearer $(test_const TEST_TICK_SECRET)" >"$state/spin-migrate.json" \
  || { log "the migrate route failed"; cat "$state/spin-migrate.json" "$state/spin.log" >&2; exit 1; }

target_db=sqlite
[ -z "${HERALD_SPIN_DATABASE_URL:-}" ] || target_db=postgres
HERALD_BASE_URL="http://127.0.0.1:$port" HERALD_SCHEDULER=tick HERALD_TARGET_DB=$target_db \
  cargo test --quiet -p herald-tests --test suite -- "$@" \
  || { log "Spin log:"; tail -50 "$state/spin.log"; ls "$state/spin/logs" 2>/dev/null; exit 1; }
