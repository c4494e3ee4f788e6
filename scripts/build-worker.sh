#!/usr/bin/env bash
# Builds the Worker into functions/worker/build; wrangler runs this before dev and deploy.
# Skips the build when the output is newer than every source it comes from.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
out=$ROOT/functions/worker/build/index_bg.wasm
if [ -f "$out" ] && [ -z "$(find "$ROOT/shared" "$ROOT/functions/worker" "$ROOT/Cargo.toml" "$ROOT/Cargo.lock" \
    -newer "$out" -type f -not -path '*/build/*' -print -quit)" ]; then
  log "Worker build is up to date"
  exit 0
fi
build_worker
