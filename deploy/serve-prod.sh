#!/usr/bin/env bash
# The production shape on one machine (`make serve-prod`): migrate, collect static files, then
# gunicorn with several workers, the job worker and celery beat, until one of them stops or
# this script is interrupted; then all three are stopped.
#
# Needs SECRET_KEY, ALLOWED_HOSTS and a PostgreSQL DATABASE_URL; Redis on 127.0.0.1:6379 is the
# broker (CELERY_BROKER_URL, db 0) and the cache (CACHE_URL, db 1) unless told otherwise.
# Optional: BIND (127.0.0.1:8001), WEB_WORKERS (4), JOB_WORKERS (2), STATE_DIR (var/).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
export CORP_BILLING_PROFILE=production
: "${SECRET_KEY:?set SECRET_KEY}" "${ALLOWED_HOSTS:?set ALLOWED_HOSTS}"
case "${DATABASE_URL:-}" in
  postgres://* | postgresql://*) ;;
  *) echo "serve-prod runs on PostgreSQL: set DATABASE_URL=postgres://…" >&2; exit 2 ;;
esac
STATE_DIR="${STATE_DIR:-var}"
mkdir -p "$STATE_DIR"

"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput --verbosity 0

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop EXIT INT TERM

"$PY" -m gunicorn corp_billing.wsgi --config deploy/gunicorn.conf.py &
pids+=($!)
"$PY" -m celery -A corp_billing.celery worker --concurrency "${JOB_WORKERS:-2}" \
  --without-gossip --without-mingle --loglevel INFO &
pids+=($!)
"$PY" -m celery -A corp_billing.celery beat --loglevel INFO \
  --schedule "$STATE_DIR/celerybeat-schedule" --pidfile "$STATE_DIR/celerybeat.pid" &
pids+=($!)
echo "serving on http://${BIND:-127.0.0.1:8001} (pids ${pids[*]}); Ctrl-C stops" >&2
# Whichever stops first (a crash), the others are stopped too: a half-running shape is worse
# than a stopped one that its supervisor restarts.
wait -n
