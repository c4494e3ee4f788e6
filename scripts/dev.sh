#!/usr/bin/env bash
# Installs what is missing, applies the local D1 migrations and serves Herald — the real Worker
# under `wrangler dev` over local D1 — at http://localhost:8787. No account, no cloud.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust
ensure_node_tools
bash scripts/build-worker.sh
if [ ! -f .dev.vars ]; then
  log "writing .dev.vars with a fresh local JWT_SECRET"
  printf 'JWT_SECRET="%s"\n' "$(random_secret)" > .dev.vars
fi
if ! grep -q '^TOKEN_KEYS=' .dev.vars; then
  log "adding a fresh local TOKEN_KEYS (seals connected accounts' credentials) to .dev.vars"
  printf 'TOKEN_KEYS="local1:%s"\n' "$(head -c 32 /dev/urandom | base64 -w0)" >> .dev.vars
fi
log "applying D1 migrations to the local database (.wrangler/state)"
adopt_d1_ledger --local
CI=1 "$WRANGLER" d1 migrations apply DB --local
log "serving Herald at http://localhost:8787 (Ctrl-C stops)"
# --test-scheduled: GET /__scheduled?cron=*+*+*+*+* fires the cron (publishing what is due).
exec "$WRANGLER" dev --port "${PORT:-8787}" --ip 127.0.0.1 --show-interactive-dev-session=false --test-scheduled \
  --var ENVIRONMENT:development
