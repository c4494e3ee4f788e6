#!/usr/bin/env bash
# Smoke test of scripts/pds.sh: starts a local PDS, then goes through what Herald's Bluesky
# adapter does, with curl, printing each request and response: createAccount, createAppPassword,
# createSession with the app password, uploadBlob (a PNG), createRecord of an app.bsky.feed.post
# with an image embed and a link facet, getRecord, listRecords, getBlob, and the error answers
# for a bad password, an invalid record, a missing, a malformed and an expired token. Stops the
# PDS at the end. Talks to 127.0.0.1 only; python3 reads the JSON.
#
#   scripts/pds_smoke.sh [pds-log-file]
#
# The PDS's log goes to pds-log-file when given (kept), else to a temporary file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

work=$(mktemp -d)
# A known token key, so that this script can mint an expired access token below.
export HERALD_PDS_JWT_SECRET=herald-pds-smoke-jwt-secret
pds_pid=
cleanup() {
  if [ -n "$pds_pid" ]; then kill -- -"$pds_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

started=$SECONDS
pds_log=${1:-$work/pds.log}
base=$(bash "$ROOT/scripts/pds.sh" "$pds_log" "$work/pds.pid")
pds_pid=$(cat "$work/pds.pid")
log "PDS at $base (pid $pds_pid), ready after $((SECONDS - started)) s"

failures=0
check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; failures=$((failures + 1)); fi
}
# jget FILE EXPR: a value of the JSON in FILE, EXPR in Python over `d`.
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# xrpc NAME METHOD NSID [curl args...]: the response body goes to $work/NAME.json, its status
# to $status; the request and the response are printed.
xrpc() {
  local name=$1 method=$2 nsid=$3; shift 3
  echo
  echo "### $method /xrpc/$nsid $(printf '%q ' "$@" | cut -c1-400)"
  status=$(curl -sS -o "$work/$name.json" -w '%{http_code}' -X "$method" "$base/xrpc/$nsid" "$@")
  echo "<<< HTTP $status"
  python3 -m json.tool "$work/$name.json" 2>/dev/null || cat "$work/$name.json"
}
json=(-H 'content-type: application/json')

xrpc health GET _health
check "_health answers 200" test "$status" = 200

xrpc describe GET com.atproto.server.describeServer
check "handles end in .test" test "$(jget "$work/describe.json" 'd["availableUserDomains"]')" = "['.test']"

# ── the account ──────────────────────────────────────────────────────────────────────────
xrpc account POST com.atproto.server.createAccount "${json[@]}" \
  -d '{"handle":"alice.test","email":"alice@example.com","password":"alice-main-password"}'
check "createAccount 200" test "$status" = 200
did=$(jget "$work/account.json" 'd["did"]')
main_access=$(jget "$work/account.json" 'd["accessJwt"]')
check "a did:plc" grep -q '^did:plc:' <<<"$did"

xrpc account_bad_domain POST com.atproto.server.createAccount "${json[@]}" \
  -d '{"handle":"bob.example.com","email":"bob@example.com","password":"bob-password"}'
check "a handle outside .test: 400 UnsupportedDomain" test "$status/$(jget "$work/account_bad_domain.json" 'd["error"]')" = 400/UnsupportedDomain

# ── an app password, and a session with it (what Herald stores and uses) ─────────────────
xrpc app_password POST com.atproto.server.createAppPassword "${json[@]}" \
  -H "authorization: Bearer $main_access" -d '{"name":"herald"}'
check "createAppPassword 200" test "$status" = 200
app_password=$(jget "$work/app_password.json" 'd["password"]')

xrpc session POST com.atproto.server.createSession "${json[@]}" \
  -d "{\"identifier\":\"alice.test\",\"password\":\"$app_password\"}"
check "createSession with the app password 200" test "$status" = 200
access=$(jget "$work/session.json" 'd["accessJwt"]')
refresh=$(jget "$work/session.json" 'd["refreshJwt"]')
check "the session names the account" test "$(jget "$work/session.json" 'd["did"]+" "+d["handle"]')" = "$did alice.test"

xrpc session_by_did POST com.atproto.server.createSession "${json[@]}" \
  -d "{\"identifier\":\"$did\",\"password\":\"$app_password\"}"
check "createSession by DID 200" test "$status" = 200

xrpc session_bad POST com.atproto.server.createSession "${json[@]}" \
  -d '{"identifier":"alice.test","password":"wrong-password"}'
check "a wrong password: 401 AuthenticationRequired" test "$status/$(jget "$work/session_bad.json" 'd["error"]')" = 401/AuthenticationRequired

xrpc refreshed POST com.atproto.server.refreshSession -H "authorization: Bearer $refresh"
check "refreshSession 200" test "$status" = 200

# ── the blob ─────────────────────────────────────────────────────────────────────────────
python3 - "$work/image.png" <<'EOF'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
w, h = 4, 4
raw = b"".join(b"\x00" + b"\xff\x80\x00" * w for _ in range(h))  # orange RGB rows
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
EOF
xrpc blob POST com.atproto.repo.uploadBlob -H "authorization: Bearer $access" \
  -H 'content-type: image/png' --data-binary "@$work/image.png"
check "uploadBlob 200" test "$status" = 200
check "the blob is typed, with its size and MIME type" test \
  "$(jget "$work/blob.json" 'd["blob"]["$type"]+" "+d["blob"]["mimeType"]+" "+str(d["blob"]["size"])')" \
  = "blob image/png $(stat -c %s "$work/image.png")"
blob=$(jget "$work/blob.json" 'json.dumps(d["blob"])')
blob_cid=$(jget "$work/blob.json" 'd["blob"]["ref"]["$link"]')

# ── the post: text with a link facet (UTF-8 byte offsets) and the image ──────────────────
text='Héllo from Herald → https://example.com/herald?x=1 ✨'
link=https://example.com/herald?x=1
record=$(python3 - "$text" "$link" "$blob" <<'EOF'
import json, sys, datetime
text, link, blob = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
start = text.encode().index(link.encode())
print(json.dumps({
    "$type": "app.bsky.feed.post",
    "text": text,
    "createdAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    "langs": ["en"],
    "facets": [{
        "index": {"byteStart": start, "byteEnd": start + len(link.encode())},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": link}],
    }],
    "embed": {
        "$type": "app.bsky.embed.images",
        "images": [{"alt": "an orange square", "image": blob,
                    "aspectRatio": {"width": 4, "height": 4}}],
    },
}, ensure_ascii=False))
EOF
)
xrpc post POST com.atproto.repo.createRecord "${json[@]}" -H "authorization: Bearer $access" \
  -d "{\"repo\":\"$did\",\"collection\":\"app.bsky.feed.post\",\"record\":$record}"
check "createRecord 200" test "$status" = 200
uri=$(jget "$work/post.json" 'd["uri"]')
rkey=${uri##*/}
check "the record's at:// URI" grep -q "^at://$did/app.bsky.feed.post/" <<<"$uri"

xrpc got GET "com.atproto.repo.getRecord?repo=$did&collection=app.bsky.feed.post&rkey=$rkey"
check "getRecord 200" test "$status" = 200
check "getRecord gives back the createRecord's CID" test "$(jget "$work/got.json" 'd["cid"]')" = "$(jget "$work/post.json" 'd["cid"]')"
check "getRecord gives back the link facet" test "$(jget "$work/got.json" 'd["value"]["facets"][0]["features"][0]["uri"]')" = "$link"
check "getRecord gives back the blob" test "$(jget "$work/got.json" 'd["value"]["embed"]["images"][0]["image"]["ref"]["$link"]')" = "$blob_cid"
check "the text comes back byte for byte" test "$(jget "$work/got.json" 'd["value"]["text"]')" = "$text"

xrpc listed GET "com.atproto.repo.listRecords?repo=alice.test&collection=app.bsky.feed.post&limit=10"
check "listRecords 200 with the post" test "$(jget "$work/listed.json" '[r["uri"] for r in d["records"]]')" = "['$uri']"

echo; echo "### GET /xrpc/com.atproto.sync.getBlob?did=$did&cid=$blob_cid"
curl -sS -o "$work/blob_back.png" -D "$work/blob_back.headers" "$base/xrpc/com.atproto.sync.getBlob?did=$did&cid=$blob_cid"
grep -i -E '^(HTTP|content-type|content-length)' "$work/blob_back.headers"
check "getBlob returns the PNG" cmp -s "$work/image.png" "$work/blob_back.png"

xrpc missing GET "com.atproto.repo.getRecord?repo=$did&collection=app.bsky.feed.post&rkey=3zzzzzzzzzzzz"
check "an unknown record: 400 RecordNotFound" test "$status/$(jget "$work/missing.json" 'd["error"]')" = 400/RecordNotFound

# ── errors Herald must map ───────────────────────────────────────────────────────────────
xrpc invalid_record POST com.atproto.repo.createRecord "${json[@]}" -H "authorization: Bearer $access" \
  -d "{\"repo\":\"$did\",\"collection\":\"app.bsky.feed.post\",\"record\":{\"\$type\":\"app.bsky.feed.post\",\"text\":\"no createdAt\"}}"
check "an invalid record: 400 InvalidRequest" test "$status/$(jget "$work/invalid_record.json" 'd["error"]')" = 400/InvalidRequest

long_text=$(python3 -c 'print("x" * 301)')
xrpc too_long POST com.atproto.repo.createRecord "${json[@]}" -H "authorization: Bearer $access" \
  -d "{\"repo\":\"$did\",\"collection\":\"app.bsky.feed.post\",\"record\":{\"\$type\":\"app.bsky.feed.post\",\"text\":\"$long_text\",\"createdAt\":\"2026-01-01T00:00:00.000Z\"}}"
check "301 graphemes: 400 InvalidRequest" test "$status/$(jget "$work/too_long.json" 'd["error"]')" = 400/InvalidRequest

xrpc no_token POST com.atproto.repo.uploadBlob -H 'content-type: image/png' --data-binary "@$work/image.png"
check "no token: 401 AuthMissing" test "$status/$(jget "$work/no_token.json" 'd["error"]')" = 401/AuthMissing

# A JWT signed with another key. (A token whose middle part is not JSON, such as
# "not.a.jwt", makes this PDS answer 500 InternalServerError instead: a quirk of the PDS.)
forged="${access%.*}.c2lnbmVkLWVsc2V3aGVyZQ"
xrpc bad_token POST com.atproto.repo.uploadBlob -H "authorization: Bearer $forged" \
  -H 'content-type: image/png' --data-binary "@$work/image.png"
check "a token that does not verify: 400 InvalidToken" test "$status/$(jget "$work/bad_token.json" 'd["error"]')" = 400/InvalidToken

expired=$(python3 - "$HERALD_PDS_JWT_SECRET" "$did" <<'EOF'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
secret, did = sys.argv[1].encode(), sys.argv[2]
now = int(time.time())
head = b64(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
body = b64(json.dumps({"scope": "com.atproto.appPass", "aud": "did:web:localhost", "sub": did,
                       "iat": now - 7300, "exp": now - 100}).encode())
sig = b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
EOF
)
xrpc expired POST com.atproto.repo.createRecord "${json[@]}" -H "authorization: Bearer $expired" \
  -d "{\"repo\":\"$did\",\"collection\":\"app.bsky.feed.post\",\"record\":$record}"
check "an expired token: 400 ExpiredToken" test "$status/$(jget "$work/expired.json" 'd["error"]')" = 400/ExpiredToken

xrpc app_pass_limits POST com.atproto.server.createAppPassword "${json[@]}" \
  -H "authorization: Bearer $access" -d '{"name":"from-an-app-password"}'
check "an app-password session cannot make app passwords: 400 InvalidToken" \
  test "$status/$(jget "$work/app_pass_limits.json" 'd["error"]')" = 400/InvalidToken

kill -- -"$pds_pid"
pds_pid=
echo
if [ "$failures" = 0 ]; then echo "pds smoke: all checks passed"; exit 0; fi
echo "pds smoke: $failures check(s) failed; the PDS's log:"
cat "$pds_log"
exit 1
