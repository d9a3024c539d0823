#!/usr/bin/env bash
# CI's production smoke test: starts the production shape (deploy/serve-prod.sh: gunicorn with
# several workers, the job worker and beat) on a PostgreSQL database of its own and Redis, waits
# for /healthz, loads the demo, runs deploy/smoke.py over HTTP, and stops everything (and drops
# the database) whatever happens. Mail goes to files (EMAIL_BACKEND, set only here).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"

RUN="smoke_$$"
WORK="$(mktemp -d)"
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PG_ADMIN_URL="postgresql://postgres@127.0.0.1:5432/postgres"
pg() { "$PY" -c "import sys, psycopg; c = psycopg.connect(sys.argv[1], autocommit=True); c.execute(sys.argv[2])" "$PG_ADMIN_URL" "$1"; }

export CORP_BILLING_PROFILE=production
export SECRET_KEY="ci-$(head -c 48 /dev/urandom | base64 | tr -d '\n')"
export HOST_NAME=billing.openvoice.example
export ALLOWED_HOSTS="$HOST_NAME"
export SITE_URL="https://$HOST_NAME"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/corp_billing_$RUN"
export STATIC_ROOT="$WORK/static" STATE_DIR="$WORK/state"
export BIND="127.0.0.1:$PORT" WEB_WORKERS=3 JOB_WORKERS=2
# Its own queue and cache keys: other runs may share this Redis.
export JOBS_QUEUE="corp_billing_$RUN" CACHE_KEY_PREFIX="corp_billing_$RUN"
export EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend EMAIL_FILE_PATH="$WORK/mail"
mkdir -p "$EMAIL_FILE_PATH"

SERVER_PID=""
cleanup() {
  status=$?
  if [ -n "$SERVER_PID" ]; then
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 -- "-$SERVER_PID" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then echo "--- server log (last 80 lines)"; tail -80 "$WORK/server.log" || true; fi
  pg "DROP DATABASE IF EXISTS corp_billing_$RUN WITH (FORCE)" || true
  "$PY" -c "import redis, sys; r = redis.Redis(); r.delete(sys.argv[1]); [r.delete(k) for k in r.scan_iter(sys.argv[2] + '*')]" \
    "$JOBS_QUEUE" "$CACHE_KEY_PREFIX" 2>/dev/null || true
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT

pg "CREATE DATABASE corp_billing_$RUN"
# Its own process group, so the trap stops gunicorn, the worker, beat and their children.
setsid env PY="$PY" deploy/serve-prod.sh >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

echo "waiting for http://$BIND/healthz"
for _ in $(seq 1 180); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "serve-prod exited"; exit 1; fi
  if curl -fsS -H "Host: $HOST_NAME" "http://$BIND/healthz" >/dev/null 2>&1; then break; fi
  sleep 1
done
curl -fsS -H "Host: $HOST_NAME" "http://$BIND/healthz"; echo

"$PY" manage.py seed_demo >/dev/null
"$PY" deploy/smoke.py "http://$BIND" "$HOST_NAME" "$EMAIL_FILE_PATH" "$WORK/server.log"
