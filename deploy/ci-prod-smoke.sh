#!/usr/bin/env bash
# CI job: install Hồ sơ the way production does and start it in production mode.
#
#   deploy/ci-prod-smoke.sh            (.ci/run calls it after the test suite)
#
# 1. copies the source tree (as the image's /app) and `pip install .` with no extras into a fresh venv;
# 2. checks that production mode refuses the development secret key;
# 3. creates a database on the external PostgreSQL (HOSO_SMOKE_ADMIN_URL, default
#    postgresql://postgres@127.0.0.1:5432/postgres) and runs `hoso migrate` on it;
# 4. starts a Temporal dev server (the `temporal` CLI of that venv), then `python worker.py` and
#    `uvicorn api.main:create_app --factory` with HOSO_ENV=prod, a random secret key, a random data
#    key and HOSO_SIGNING_DEV_CA=true set explicitly;
# 5. waits for /healthz to answer 200 (database, Temporal and a polling worker) and for the login page;
# 6. stops everything and drops the database, on failure too (trap).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ADMIN_URL="${HOSO_SMOKE_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d /tmp/hoso-prod-smoke.XXXXXX)"
DB_NAME="hoso_smoke_$$_$(date +%s)"
START=$(date +%s)
PIDS=()
NAMES=()
DB_CREATED=""

say() { echo "prod-smoke: $*"; }

cleanup() {
  status=$?
  trap - EXIT INT TERM
  # Reverse order of starting (web, worker, then the Temporal server they talk to); SIGTERM, and
  # SIGKILL after a grace period.
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do
    pid=${PIDS[$i]}
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    code=0
    wait "$pid" 2>/dev/null || code=$?
    say "stopped ${NAMES[$i]} (exit $code)"
  done
  if [ -n "$DB_CREATED" ]; then
    "$WORK/venv/bin/python" - "$ADMIN_URL" "$DB_NAME" <<'EOF' || say "could not drop database $DB_NAME"
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)')
EOF
  fi
  if [ "$status" -ne 0 ]; then
    say "FAILED (exit $status); last lines of each log:"
    for log in "$WORK"/*.log; do
      [ -f "$log" ] || continue
      echo "----- $(basename "$log")"
      tail -n 40 "$log"
    done
  fi
  rm -rf "$WORK"
  say "done in $(( $(date +%s) - START )) s, status $status"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND until it succeeds
  local limit=$1 what=$2; shift 2
  local until=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$until" ]; then say "$what: not ready after ${limit} s"; return 1; fi
    for pid in "${PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null || { say "$what: process $pid exited"; return 1; }
    done
    sleep 1
  done
}

# --- 1. the production install --------------------------------------------------------------------
say "source tree and a fresh venv in $WORK"
mkdir -p "$WORK/app" "$WORK/data"
tar -C "$ROOT" --exclude=./.git --exclude=./.venv --exclude=./.var --exclude=./build \
    --exclude='*.egg-info' --exclude='__pycache__' --exclude=./.pytest_cache -cf - . | tar -C "$WORK/app" -xf -
"$PYTHON" -m venv "$WORK/venv"
VENV="$WORK/venv/bin"
t0=$(date +%s)
"$VENV/pip" install -q --disable-pip-version-check "$WORK/app" >"$WORK/pip.log" 2>&1
say "pip install . (no extras): $(( $(date +%s) - t0 )) s"
cd "$WORK/app"  # like the image's WORKDIR /app: worker.py, alembic.ini and alembic/ are here
"$VENV/python" -c "import api.main, bootstrap.worker, bootstrap.cli"

# --- 2. production mode refuses the development key -----------------------------------------------
export HOSO_ENV=prod HOSO_DATA_DIR="$WORK/data" HOSO_TASK_QUEUE="smoke-$$" HOSO_SIGNING_DEV_CA=true
export HOSO_SECRET_KEY=""
set +e
"$VENV/python" worker.py >"$WORK/refusal.log" 2>&1
refused=$?
set -e
if [ "$refused" -eq 0 ] || ! grep -q HOSO_SECRET_KEY "$WORK/refusal.log"; then
  say "the worker started with an empty HOSO_SECRET_KEY (exit $refused)"; exit 1
fi
say "an empty HOSO_SECRET_KEY is refused (exit $refused)"
HOSO_SECRET_KEY="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))')"
# The master key of the sensitive personal data (docs/data-protection.md): 32 random bytes, base64.
HOSO_DATA_KEY="$("$PYTHON" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
# The key of the audit log's hash chain (docs/data-protection.md#the-audit-chain).
HOSO_AUDIT_KEY="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))')"
export HOSO_SECRET_KEY HOSO_DATA_KEY HOSO_AUDIT_KEY

# --- 3. database and migrations --------------------------------------------------------------------
DATABASE_URL="$("$VENV/python" - "$ADMIN_URL" "$DB_NAME" <<'EOF'
import sys, psycopg
admin, name = sys.argv[1:]
with psycopg.connect(admin, autocommit=True) as conn:
    conn.execute(f'CREATE DATABASE "{name}"')
head, sep, query = admin.partition("?")
print(f"{head.rsplit('/', 1)[0]}/{name}{sep}{query}")
EOF
)"
DB_CREATED=1
export DATABASE_URL
"$VENV/hoso" migrate >"$WORK/migrate.log" 2>&1
say "database $DB_NAME migrated"

# --- 4. Temporal, worker, web ---------------------------------------------------------------------
TEMPORAL_PORT=$(free_port)
WEB_PORT=$(free_port)
"$VENV/temporal" server start-dev --headless --ip 127.0.0.1 --port "$TEMPORAL_PORT" --log-level warn \
    >"$WORK/temporal.log" 2>&1 &
PIDS+=($!); NAMES+=(temporal)
wait_for 60 "Temporal dev server" "$VENV/python" -c \
  "import socket, sys; socket.create_connection(('127.0.0.1', $TEMPORAL_PORT), 1)"
export TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"

"$VENV/python" worker.py >"$WORK/worker.log" 2>&1 &
PIDS+=($!); NAMES+=(worker)
"$VENV/uvicorn" api.main:create_app --factory --host 127.0.0.1 --port "$WEB_PORT" >"$WORK/web.log" 2>&1 &
PIDS+=($!); NAMES+=(web)

# --- 5. health and a page --------------------------------------------------------------------------
healthy() {
  "$VENV/python" - "$WEB_PORT" <<'EOF'
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=5) as response:
    print(response.read().decode())
    sys.exit(0 if response.status == 200 else 1)
EOF
}
wait_for 120 "/healthz 200" healthy
say "/healthz: $(healthy)"
"$VENV/python" - "$WEB_PORT" <<'EOF'
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/login", timeout=10) as response:
    page = response.read().decode()
assert response.status == 200, response.status
assert "Đăng nhập" in page, page[:500]
EOF
say "the login page answers 200"
grep -q '"worker.started"' "$WORK/worker.log" || { say "the worker logged no JSON worker.started"; exit 1; }
say "OK: web and worker run in production mode from a plain pip install"
