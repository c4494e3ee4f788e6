#!/usr/bin/env bash
# Builds the Worker; wrangler runs this before dev and deploy.
#   build-worker.sh           D1 (the default) into functions/worker/build
#   build-worker.sh postgres  with the Postgres driver (Hyperdrive) into functions/worker/build-postgres
# Skips the build when the output is newer than every source it comes from.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
variant=${1:-d1}
out=$(worker_out "$variant")/index_bg.wasm
if [ -f "$out" ] && [ -z "$(find "$ROOT/shared" "$ROOT/functions/worker" "$ROOT/Cargo.toml" "$ROOT/Cargo.lock" \
    "$ROOT/functions/postgres" -newer "$out" -type f -not -path '*/build/*' -not -path '*/build-postgres/*' \
    -print -quit)" ]; then
  log "Worker build ($variant) is up to date"
  exit 0
fi
build_worker "$variant"
