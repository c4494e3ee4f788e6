#!/usr/bin/env bash
# The Spin check CI can run without a Spin host: builds every component of spin.toml with
# exactly its build command (as `spin build` would: `sh -c` in the component's workdir), then
# checks that the manifest agrees with the crates (scripts/check_spin_manifest.py) and prints
# each component's size, raw and gzipped.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust

checker=(python3 "$ROOT/scripts/check_spin_manifest.py" --manifest "$ROOT/spin.toml")
builds=$("${checker[@]}" --builds)
[ -n "$builds" ] || { log "spin.toml has no component with a build command"; exit 1; }
while IFS=$'\t' read -r component workdir command; do
  log "building Spin component $component: $command"
  (cd "$workdir" && sh -c "$command")
done <<<"$builds"

log "checking spin.toml against the crates"
"${checker[@]}"
