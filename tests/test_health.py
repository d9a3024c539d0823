"""``/healthz``: 200 when the database, the cache and the job queue answer, 503 naming the one
that does not; public, no session, never cached, and no error text for the world to read."""

import json

import pytest
import redis
from django.db import OperationalError

from corp_billing import health
from corp_billing.celery import app
from tests.conftest import IN_CI

pytestmark = pytest.mark.django_db


def test_health_is_ok_and_sets_no_session_or_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        # development runs jobs in the request's process: nothing to ping
        "jobs": "in-process",
    }
    assert response.cookies == {}
    assert "no-store" in response["Cache-Control"]


def test_health_answers_only_reads(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200


def test_health_is_503_when_the_database_is_down(client, monkeypatch):
    class Down:
        def cursor(self):
            raise OperationalError("connection refused: secret-host:5432")

    monkeypatch.setattr(health, "connection", Down())
    response = client.get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "unavailable" and body["database"] == "unavailable"
    assert body["jobs"] == "in-process"
    assert b"secret-host" not in response.content


def test_health_is_503_when_the_job_broker_is_down(client, monkeypatch):
    # Given production's queued jobs, with the broker on a port where nothing listens
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["jobs"] == "unavailable"


def test_health_pings_a_real_redis_broker(client, monkeypatch):
    url = "redis://127.0.0.1:6379/5"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"CI has Redis: {exc}")
        pytest.skip(f"needs Redis: {exc}")
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", url)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content)["jobs"] == "ok"
