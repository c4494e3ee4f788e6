#!/usr/bin/env bash
# Starts a local S3-compatible server for the presigned URL tests (tests/s3): moto's S3 from
# PyPI behind scripts/s3_front.py, which checks every SigV4 signature and a presigned URL's
# expiry (moto alone accepts any presigned URL). Installs moto[server] into a venv under
# $HERALD_CACHE/moto-venv when missing, serves on a free 127.0.0.1 port in the background in
# its own process group, creates the test bucket, and prints the endpoint on stdout.
#
#   scripts/moto.sh [log-file] [pid-file]
#
# The server's process id goes to pid-file (default $HERALD_CACHE/moto.pid); stop it with
# `kill -- -$(cat pid-file)`. The tests' key pair and bucket are the defaults of tests/s3.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MOTO_VERSION=5.2.5
MOTO_VENV=$HERALD_CACHE/moto-venv
S3_TEST_BUCKET=${HERALD_TEST_S3_BUCKET:-herald-test-media}
S3_TEST_ACCESS_KEY_ID=${HERALD_TEST_S3_ACCESS_KEY_ID:-HERALDTESTKEY}
S3_TEST_SECRET_ACCESS_KEY=${HERALD_TEST_S3_SECRET_ACCESS_KEY:-herald-test-s3-secret-not-for-production}

log_file=${1:-$HERALD_CACHE/moto.log}
pid_file=${2:-$HERALD_CACHE/moto.pid}

ensure_moto() {
  if "$MOTO_VENV/bin/python" -c "import sys, moto; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    return
  fi
  log "installing moto[server] $MOTO_VERSION into $MOTO_VENV"
  if ! python3 -m venv "$MOTO_VENV" >&2; then
    log "python3 cannot make a venv: installing Debian's python3-venv"
    sudo_if_needed apt-get update -qq && sudo_if_needed apt-get install -y -qq python3-venv >&2
    python3 -m venv "$MOTO_VENV" >&2
  fi
  "$MOTO_VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
}

ensure_moto
mkdir -p "$(dirname "$log_file")" "$(dirname "$pid_file")"
port=$(free_port)
endpoint="http://127.0.0.1:$port"
S3_FRONT_ACCESS_KEY_ID=$S3_TEST_ACCESS_KEY_ID S3_FRONT_SECRET_ACCESS_KEY=$S3_TEST_SECRET_ACCESS_KEY \
  setsid "$MOTO_VENV/bin/python" "$ROOT/scripts/s3_front.py" --port "$port" >"$log_file" 2>&1 < /dev/null &
echo $! > "$pid_file"
if ! wait_for_http "$endpoint/__health" 60; then
  log "the S3 server did not come up:"; cat "$log_file" >&2; exit 1
fi

# The bucket, with a request signed like any other (the front refuses unsigned ones).
AWS_ACCESS_KEY_ID=$S3_TEST_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$S3_TEST_SECRET_ACCESS_KEY \
  "$MOTO_VENV/bin/python" - "$endpoint" "$S3_TEST_BUCKET" <<'EOF' >&2
import sys
import boto3
endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
s3.create_bucket(Bucket=bucket)
EOF

echo "$endpoint"
