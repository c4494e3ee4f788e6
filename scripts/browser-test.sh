#!/usr/bin/env bash
# The review page (SPEC AG-5) in a real headless Chromium, against a running Herald:
#   scripts/browser-test.sh [BASE_URL]      (default $HERALD_URL, else http://localhost:8787)
# The server must run with ENVIRONMENT=development (the setup reads invitations from the dev
# mailbox). Installs what is missing: Debian's chromium (apt) and npm's playwright-core into
# ~/.cache/herald/node — never a downloaded browser. Then it sets up, through the API, an agency
# whose client reviews after the team, two posts waiting at the client stage (one with an
# image) and a review link; tests/browser/review.mjs approves one post and requests changes on
# the other in the browser; and the stored result is checked through the API.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
BASE=${1:-${HERALD_URL:-http://localhost:8787}}
BASE=${BASE%/}
PLAYWRIGHT_VERSION=1.64.1

ensure_node_tools
if [ ! -x /usr/bin/chromium ]; then
  log "installing Debian's chromium"
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq chromium >/dev/null
fi
installed=$(node -p "require('$NODE_DIR/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$PLAYWRIGHT_VERSION" ]; then
  log "installing playwright-core $PLAYWRIGHT_VERSION into $NODE_DIR (no browser download)"
  (cd "$NODE_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --save-exact \
    "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null)
fi

state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
comment="Please use the new logo — and shorten the first line."

log "setting up a review link through the API at $BASE"
python3 - "$BASE" > "$state/setup.json" <<'PY'
import json, random, struct, sys, urllib.error, urllib.request, zlib

API = sys.argv[1] + "/api/v1"

def call(method, path, body=None, token=None, raw=None, ctype="application/json"):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(API + path, data=data, method=method)
    req.add_header("cf-connecting-ip", ADDRESS)
    req.add_header("x-forwarded-for", ADDRESS)
    if data is not None:
        req.add_header("content-type", ctype)
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as r:
            return json.load(r)["data"]
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path}: {e.code} {e.read().decode()}")

n = random.randrange(10**9)
# The setup counts against a rate-limit budget of its own (sign-ups, verifications and
# invitation accepts are limited per address): a documentation address, new each run.
ADDRESS = f"198.51.100.{random.randrange(1, 255)}"

def signup(name):
    email = f"{name.lower()}{n}@example.com"
    call("POST", "/auth/signup", {"email": email, "password": "correct horse battery", "name": name})
    # The address is verified through the development mailbox, which signs the account in.
    mail = call("GET", "/dev/mailbox?to=" + email.replace("@", "%40"))
    token = mail[0]["text"].split("verify-email:\n")[1].split()[0]
    d = call("POST", "/auth/verify-email", {"token": token})
    return d["user"]["id"], d["accessToken"], email

ada, ada_t, _ = signup("Ada")
ws = call("POST", "/workspaces", {"name": "Acme Agency"}, ada_t)["id"]
w = lambda rest: f"/workspaces/{ws}{rest}"

def member(name, role):
    uid, tok, email = signup(name)
    call("POST", w("/invites"), {"email": email, "role": role}, ada_t)
    mail = call("GET", "/dev/mailbox?to=" + email.replace("@", "%40"))
    invite = mail[0]["text"].split("accept:\n")[1].split()[0]
    call("POST", "/invites/accept", {"token": invite}, tok)
    return uid, tok

grace, grace_t = member("Grace", "editor")
cleo, _ = member("Cleo", "client")
client = call("POST", w("/clients"), {"name": "Acme"}, ada_t)["id"]
call("POST", w(f"/clients/{client}/members"), {"userId": cleo}, ada_t)
call("PUT", w("/approval-workflow"), {"stages": "internal_then_client"}, ada_t)

def png(width, height, rgb):
    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    chunk = lambda kind, d: struct.pack(">I", len(d)) + kind + d + struct.pack(">I", zlib.crc32(kind + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))

image = png(120, 80, (10, 91, 211))
asset = call("POST", w("/media/uploads"), {"filename": "launch.png", "contentType": "image/png",
                                           "sizeBytes": len(image), "method": "stream"}, ada_t)["asset"]["id"]
call("PUT", w(f"/media/{asset}/content"), token=ada_t, raw=image, ctype="image/png")
call("PATCH", w(f"/media/{asset}"), {"altText": "The spring collection on a blue background"}, ada_t)
# The agency's white-label brand, which the page must wear: its name, logo and colour.
call("PATCH", w(""), {"branding": {"displayName": "Acme Studio", "logoMediaId": asset, "primaryColor": "#ff0066",
                                   "supportEmail": "help@acme.example"}}, ada_t)

def waiting_for_client(title, body):
    post = call("POST", w("/posts"), dict(body, title=title, clientId=client), ada_t)["id"]
    call("POST", w(f"/posts/{post}/submit"), token=ada_t)
    internal = [r for r in call("GET", w(f"/posts/{post}/approvals"), token=ada_t)["items"] if r["status"] == "pending"][0]
    call("POST", w(f"/approvals/{internal['id']}/approve"), {"comment": "internal: fine by me"}, grace_t)
    return post

approve = waiting_for_client("Spring launch", {"body": "Our spring collection is here.",
    "targets": [{"platform": "linkedin", "media": [asset]}, {"platform": "x", "text": "Spring is here 🌷"}]})
changes = waiting_for_client("Summer teaser", {"body": "Something big is coming this summer."})
link = call("POST", w("/review-links"), {"postIds": [approve, changes], "reviewerName": "Cleo at Acme"}, ada_t)
print(json.dumps({"url": link["url"], "token": link["token"], "ws": ws, "owner": ada_t,
                  "approve": approve, "changes": changes}))
PY
field() { python3 -c "import json,sys; print(json.load(open('$state/setup.json'))['$1'])"; }

log "opening $(field url | sed 's#/review/.*#/review/…#') in Chromium"
BRAND_NAME="Acme Studio" REVIEW_URL=$(field url) APPROVE_POST=$(field approve) CHANGES_POST=$(field changes) CHANGES_COMMENT=$comment \
  HERALD_NODE_DIR=$NODE_DIR SCREENSHOT=${SCREENSHOT:-} SCREENSHOT_BEFORE=${SCREENSHOT_BEFORE:-} node tests/browser/review.mjs

log "checking the stored result through the API"
python3 - "$BASE" "$state/setup.json" "$comment" <<'PY'
import json, sys, urllib.request

base, setup, comment = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
def get(path):
    req = urllib.request.Request(f"{base}/api/v1/workspaces/{setup['ws']}{path}")
    req.add_header("authorization", "Bearer " + setup["owner"])
    with urllib.request.urlopen(req) as r:
        return json.load(r)["data"]

failures = []
def expect(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")

for post, status, decision, stored in [
    (setup["approve"], "approved", "approve", "via review link (Cleo at Acme)"),
    (setup["changes"], "draft", "reject", f"via review link (Cleo at Acme): {comment}"),
]:
    expect(f"post {post} status", get(f"/posts/{post}")["status"], status)
    latest = get(f"/posts/{post}/approvals")["items"][0]
    expect(f"post {post} client stage", (latest["stage"], latest["status"]),
           ("client", "approved" if decision == "approve" else "rejected"))
    vote = latest["votes"][0] if latest["votes"] else {}
    expect(f"post {post} vote", (vote.get("decision"), vote.get("comment")), (decision, stored))
log = get("/activity?entityType=approval")["items"]
via = sorted(e["action"] for e in log if (e.get("after") or {}).get("via") == "review_link")
expect("activity through the link", via, ["approval.approve", "approval.reject"])
with urllib.request.urlopen(f"{base}/review/{setup['token']}") as r:
    page = r.read().decode()
expect("forms left on the page", page.count("<form"), 0)
if failures:
    sys.exit("stored result is wrong:\n  " + "\n  ".join(failures))
print("stored result: one post approved and one sent back with the comment, through the client stage")
PY
log "browser test passed"
