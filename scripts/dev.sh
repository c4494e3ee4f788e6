#!/usr/bin/env bash
# Installs what is missing, applies the local D1 migrations and serves Herald — the real Workers
# under one `wrangler dev` over local D1: the HTTP API at http://localhost:8787, the AI Worker it
# hands the AI routes to, and the publishing engine (cron trigger and queue consumer) beside it.
# No account, no cloud.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust
ensure_node_tools
bash scripts/build-worker.sh
bash scripts/build-worker.sh ai
bash scripts/build-worker.sh publisher
if [ ! -f .dev.vars ]; then
  log "writing .dev.vars with a fresh local JWT_SECRET"
  printf 'JWT_SECRET="%s"\n' "$(random_secret)" > .dev.vars
fi
if ! grep -q '^TOKEN_KEYS=' .dev.vars; then
  log "adding a fresh local TOKEN_KEYS (seals connected accounts' credentials) to .dev.vars"
  printf 'TOKEN_KEYS="local1:%s"\n' "$(head -c 32 /dev/urandom | base64 -w0)" >> .dev.vars
fi
# Every Worker reads .dev.vars (it sits beside the three configurations; --var would reach only
# the first): the publisher mails through the development catcher like the API. AI_PROVIDERS and
# AI_KEYS there reach real providers (README, "Configuration"); without them AI answers with its
# static content.
if ! grep -q '^ENVIRONMENT=' .dev.vars; then
  log "adding ENVIRONMENT=development (the mail catcher, GET /api/v1/dev/mailbox) to .dev.vars"
  printf 'ENVIRONMENT="development"\n' >> .dev.vars
fi
port=${PORT:-8787}
log "applying D1 migrations to the local database (.wrangler/state)"
adopt_d1_ledger --local
CI=1 "$WRANGLER" d1 migrations apply DB --local
log "serving Herald at http://localhost:$port (Ctrl-C stops)"
log "fire the publisher's cron: curl -X POST 'http://localhost:$port/cdn-cgi/local/explorer/api/local/scheduled?worker=herald-publisher' -H 'content-type: application/json' -d '{\"cron\":\"* * * * *\"}'"
exec "$WRANGLER" dev -c wrangler.toml -c wrangler.publisher.toml -c wrangler.ai.toml --port "$port" --ip 127.0.0.1 \
  --show-interactive-dev-session=false
