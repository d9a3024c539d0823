"""The production profile serves pages: collectstatic works with the manifest storage, and a
missing page, a forged Host and a server error answer 404, 400 and 500 with the project's own
pages and the security headers, not a 500 from a missing static file.

Production settings are read once per process, so this runs them in subprocesses: first
``manage.py collectstatic`` into a temporary STATIC_ROOT, then a WSGI probe (Django's test
client) against this run's test database, whichever engine it is.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
HOST = "billing.openvoice.example"

PROBE = r"""
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.templatetags.static import static
from django.test import Client, RequestFactory
from django.views.defaults import server_error

def seen(response):
    streaming = getattr(response, "streaming", False)
    body = b"" if streaming else response.content
    return {"status": response.status_code, "headers": dict(response.items()),
            "body": body.decode("utf-8", "replace")}

anonymous = Client(HTTP_HOST=sys.argv[1], raise_request_exception=False)
signed_in = Client(HTTP_HOST=sys.argv[1], raise_request_exception=False)
user = get_user_model().objects.get(username=sys.argv[2])
signed_in.force_login(user, backend="contacts.backends.LoginIdBackend")
forger = Client(HTTP_HOST="attacker.example", raise_request_exception=False)
seen_pages = {
    "login": seen(anonymous.get("/corp-billing/login/", secure=True)),
    "no_such_page": seen(anonymous.get("/no-such-page/", secure=True)),
    "missing_quote": seen(signed_in.get("/quotes/Q-2099-999999/", secure=True)),
    "forged_host": seen(forger.get("/corp-billing/login/", secure=True)),
    "plain_http": seen(anonymous.get("/corp-billing/login/")),
    "stylesheet": seen(anonymous.get(static("css/app.css"), secure=True)),
    "stylesheet_unhashed": seen(anonymous.get("/static/css/app.css", secure=True)),
    # What Django renders when a view raises: the 500 handler, without a request context.
    "server_error": seen(server_error(RequestFactory().get("/"))),
}
print(json.dumps(seen_pages))
"""


def database_url() -> str:
    """This run's test database, as a DATABASE_URL the production settings can read."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    assert connection.vendor == "postgresql", connection.vendor
    credentials = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    return (
        f"postgres://{credentials}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        f"/{settings['NAME']}"
    )


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture
def production(tmp_path, transactional_db) -> dict:
    """The environment a production deployment has; nothing of this test process leaks in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")
        and not key.startswith("PYTEST")
    }
    env.update(
        CORP_BILLING_PROFILE="production",
        DJANGO_SETTINGS_MODULE="corp_billing.settings",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS=HOST,
        SITE_URL=f"https://{HOST}",
        STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=database_url(),
        # Production's cache is the machine's Redis: keys of this run only (grant sets are
        # keyed by user id, which every test database reuses).
        CACHE_KEY_PREFIX=f"test-{secrets.token_hex(8)}",
    )
    return env


def assert_security_headers(page):
    headers = page["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in headers["Content-Security-Policy"]


def test_collectstatic_gathers_the_project_and_admin_files_only(production, tmp_path):
    # when collectstatic runs under the production profile with the manifest storage
    run(["manage.py", "collectstatic", "--noinput"], production)

    # then it succeeds, with the project's stylesheet and the admin's files, hashed and
    # compressed, and nothing of viewflow's unused frontend
    static = tmp_path / "static"
    manifest = json.loads((static / "staticfiles.json").read_text())["paths"]
    assert manifest["css/app.css"].startswith("css/app.")
    assert (static / manifest["css/app.css"]).with_suffix(".css.gz").exists()
    assert "admin/css/base.css" in manifest
    assert not [name for name in manifest if name.startswith(("viewflow/", "guardian/"))]


def test_production_serves_pages_and_its_own_error_pages_with_the_security_headers(
    production, world
):
    # given a production deployment: collectstatic done, a representative signed in
    run(["manage.py", "collectstatic", "--noinput"], production)

    # when the probe asks for pages, a missing page and quote, with a forged Host, over plain
    # HTTP, and the 500 handler renders
    probe = run(["-c", PROBE, HOST, world.rep_a.username], production)
    pages = json.loads(probe.stdout.strip().splitlines()[-1])

    # then the sign-in page renders, and the stylesheet it links to is served, hashed
    login = pages["login"]
    assert login["status"] == 200
    assert_security_headers(login)
    assert login["headers"]["X-Frame-Options"] == "DENY"
    assert pages["stylesheet"]["status"] == 200
    assert pages["stylesheet"]["headers"]["Content-Type"].startswith("text/css")
    assert "immutable" in pages["stylesheet"]["headers"]["Cache-Control"]

    # and a missing page and a missing quote are the project's 404 page
    for name in ("no_such_page", "missing_quote"):
        page = pages[name]
        assert page["status"] == 404, (name, page["body"][:500])
        assert "<h1>Page not found</h1>" in page["body"]
        assert 'href="/static/css/app.css"' in page["body"]
        assert "viewflow" not in page["body"]
        assert_security_headers(page)
    assert pages["stylesheet_unhashed"]["status"] == 200
    assert pages["missing_quote"]["headers"]["Cache-Control"] == "private, no-store"

    # and a forged Host is the project's 400 page
    forged = pages["forged_host"]
    assert forged["status"] == 400
    assert "<h1>Bad request</h1>" in forged["body"]
    assert_security_headers(forged)

    # and plain HTTP is sent to HTTPS
    assert pages["plain_http"]["status"] == 301
    assert pages["plain_http"]["headers"]["Location"] == f"https://{HOST}/corp-billing/login/"

    # and a server error is the project's 500 page, rendered without a request context
    error = pages["server_error"]
    assert error["status"] == 500
    assert "<h1>Something went wrong on our side</h1>" in error["body"]
    assert 'href="/static/css/app.css"' in error["body"]


SHAPE = r"""
import json
import django
django.setup()
from django.conf import settings
from corp_billing.celery import app
print(json.dumps({
    "cache": settings.CACHES["default"]["BACKEND"],
    "sessions": settings.SESSION_ENGINE,
    "log_formatter": settings.LOGGING["handlers"]["console"]["formatter"],
    "eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
    "acks_late": app.conf.task_acks_late,
    "reject_on_worker_lost": app.conf.task_reject_on_worker_lost,
    "visibility_timeout": app.conf.broker_transport_options["visibility_timeout"],
    "time_limit": app.conf.task_time_limit,
    "periodic": sorted(entry["task"] for entry in app.conf.beat_schedule.values()),
    "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
}))
"""


def test_production_shares_cache_and_sessions_queues_jobs_and_logs_json(production):
    # When the production profile's settings are read
    shape = json.loads(run(["-c", SHAPE], production).stdout.strip().splitlines()[-1])
    # Then every worker process shares one cache (Redis) and the sessions (the database)
    assert shape["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert shape["sessions"] == "django.contrib.sessions.backends.db"
    # And jobs go to the Redis broker, acknowledged only when done, so a dead worker's job is
    # handed out again
    assert shape["eager"] is False
    assert shape["broker"].startswith("redis://")
    assert shape["acks_late"] is True and shape["reject_on_worker_lost"] is True
    # only once the longest job's time limit has passed: a job still running is never handed
    # out a second time
    assert shape["visibility_timeout"] > shape["time_limit"]
    # And what cron ran is enqueued periodically
    assert shape["periodic"] == [
        "billing_center.renew_subscriptions",
        "finance.sweep_exports",
        "outbox.send_queued_mail",
        "quotes.stamp_missing",
        "workflows.expire_quotes",
    ]
    # And logs are JSON lines, database connections kept between requests
    assert shape["log_formatter"] == "json"
    assert shape["conn_max_age"] > 0
