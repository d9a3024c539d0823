"""``/healthz``: whether this process can serve, for a load balancer or an orchestrator.

200 when the database, the shared cache and the job queue's broker answer, 503 otherwise, with
one word per check (never an error's text: the page is public). No session, no sign-in, no
database write: a probe every few seconds costs one ``SELECT 1``, a cache round trip and a
broker ping.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from corp_billing.celery import app

logger = logging.getLogger(__name__)

OK = "ok"
DOWN = "unavailable"


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def _cache() -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, 1, timeout=10)
    found = cache.get(key)
    cache.delete(key)
    return OK if found == 1 else DOWN


def _jobs() -> str:
    if app.conf.task_always_eager:
        # Development: jobs run in the request's own process; there is no broker to ask.
        return "in-process"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        client = getattr(conn.default_channel, "client", None)
        if client is not None:  # Redis: a real round trip, not just an open socket
            client.ping()
    return OK


CHECKS = {"database": _database, "cache": _cache, "jobs": _jobs}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception:
            logger.exception("Health check %s failed", name)
            results[name] = DOWN
    healthy = DOWN not in results.values()
    return JsonResponse(
        {"status": OK if healthy else DOWN, **results}, status=200 if healthy else 503
    )
