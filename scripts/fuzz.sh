#!/usr/bin/env bash
# A property-based run (schemathesis, from PyPI) over the document the server serves, against
# a running Herald:
#   scripts/fuzz.sh <base-url> <label>
# It signs a user up, gives it a workspace, and sends generated requests (valid and invalid) to
# every operation, with the checks tests/fuzz/schemathesis.toml names (FUZZ_CHECKS overrides). FUZZ_EXAMPLES (default 8) bounds
# the cases per operation and phase, so CI stays fast; the seed is fixed, so a run repeats.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SCHEMATHESIS_VERSION=4.32.5
FUZZ_VENV=$HERALD_CACHE/fuzz-venv

base=${1:?base url}; label=${2:-worker}
if ! "$FUZZ_VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $FUZZ_VENV"
  python3 -m venv "$FUZZ_VENV" >&2 || { sudo_if_needed apt-get update -qq && sudo_if_needed apt-get install -y -qq python3-venv >&2 && python3 -m venv "$FUZZ_VENV" >&2; }
  "$FUZZ_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
fi

api=$base/api/v1
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
email="fuzz$RANDOM$RANDOM@example.test"
curl -sf -X POST "$api/auth/signup" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"fuzzing is fun 123\",\"name\":\"Fuzz\"}" >/dev/null
# Sign-up verifies the address: the token arrives in the development mailbox.
verify=$(curl -sf "$api/dev/mailbox?to=${email/@/%40}" | json_field "['data'][0]['text'].split('/api/v1/auth/verify-email:\\n')[1].split()[0]")
token=$(curl -sf -X POST "$api/auth/verify-email" -H 'content-type: application/json' -d "{\"token\":\"$verify\"}" \
  | json_field "['data']['accessToken']")
workspace=$(curl -sf -X POST "$api/workspaces" -H 'content-type: application/json' -H "authorization: Bearer $token" \
  -d '{"name":"Fuzzed"}' | json_field "['data']['id']")
[ -n "$token" ] && [ -n "$workspace" ] || { log "fuzz: could not sign up at $base"; exit 1; }

report=$(mktemp -d)
export HERALD_FUZZ_WORKSPACE=$workspace
# Left out: archiving the fuzzed workspace would end the run early, and connecting an account
# calls the platform the input names (any host): no test reaches the internet. The suite covers
# both against local servers.
set +e
"$FUZZ_VENV/bin/st" --config-file "$ROOT/tests/fuzz/schemathesis.toml" --no-color run "$api/openapi.json" \
  --url "$base" -H "Authorization: Bearer $token" \
  ${FUZZ_CHECKS:+--checks "$FUZZ_CHECKS"} \
  --exclude-operation-id archiveWorkspace --exclude-operation-id connectAccount \
  --max-examples "${FUZZ_EXAMPLES:-8}" --seed 20261204 --no-shrink --workers 2 \
  --phases examples,coverage,fuzzing --request-timeout 30 \
  --report junit --report-junit-path "$report/junit.xml" >"$report/out.txt" 2>&1
status=$?
set -e
summary=$(python3 - "$report/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
cases = sum(int(s.get("tests", 0)) for s in suites)
failures = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
print(f"{cases} operations tested, {failures} failed")
PY
)
cases_line=$(grep -Eo '[0-9]+ generated' "$report/out.txt" | tail -1 || true)
printf 'fuzz        %-12s %s (%s)\n' "$label" "$summary" "${cases_line:-cases: see log}"
[ -n "${FUZZ_LOG:-}" ] && cp "$report/out.txt" "$FUZZ_LOG"
if [ "$status" != 0 ]; then
  log "fuzz against $label failed:"
  # The failures themselves, then the summary.
  awk '/ERRORS|FAILURES/ { f = 1 } /SUMMARY/ { f = 0 } f' "$report/out.txt" | head -400 >&2
  tail -40 "$report/out.txt" >&2
  rm -rf "$report"; exit 1
fi
rm -rf "$report"
