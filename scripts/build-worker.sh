#!/usr/bin/env bash
# Builds a Worker; wrangler runs this before dev and deploy.
#   build-worker.sh                     the HTTP API over D1 (the default) into functions/worker/build
#   build-worker.sh postgres            the HTTP API with the Postgres driver (Hyperdrive) into functions/worker/build-postgres
#   build-worker.sh ai                  the AI Worker (health and the AI area only) over D1 into functions/worker/build-ai
#   build-worker.sh ai-postgres         the AI Worker with the Postgres driver into functions/worker/build-ai-postgres
#   build-worker.sh publisher           the publishing engine (cron, queue) over D1 into functions/worker/build-publisher
#   build-worker.sh publisher-postgres  the publishing engine with the Postgres driver into functions/worker/build-publisher-postgres
# A publisher build that links the HTTP API (router, Argon2, the OpenAPI document) is refused.
# Skips the build when the output is newer than every source it comes from.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
variant=${1:-d1}
out=$(worker_out "$variant")/index_bg.wasm
if [ -f "$out" ] && [ -z "$(find "$ROOT/shared" "$ROOT/functions/worker" "$ROOT/Cargo.toml" "$ROOT/Cargo.lock" \
    "$ROOT/functions/postgres" -newer "$out" -type f -not -path '*/build/*' -not -path '*/build-*/*' \
    -print -quit)" ]; then
  log "Worker build ($variant) is up to date"
  exit 0
fi
build_worker "$variant"
