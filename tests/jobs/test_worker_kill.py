"""Nothing is lost when a job worker dies mid-job: a real Celery worker on Redis starts sending
a mail, is killed with SIGKILL (the whole process group, as a crashed machine or an OOM kill
would), and a new worker completes the job, once.

The job is acknowledged only when it finishes (acks_late), so the killed worker's job stays
unacknowledged in Redis and is handed out again after the visibility timeout (5 s here). The
outbox row is the source of truth: the second run sends the mail because the first never marked
it sent, and sends it once because the row is claimed before sending.

Needs Redis (127.0.0.1:6379, database 5, a queue of the test's own): skipped without it outside
CI, failed in CI. Runs on SQLite (a file both processes open) and on PostgreSQL.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.utils import timezone
from kombu import Connection

from corp_billing.celery import app
from outbox.models import MailStatus, OutgoingMail
from tests.conftest import IN_CI
from tests.test_production import database_url

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("JOBS_TEST_BROKER", "redis://127.0.0.1:6379/5")
SUBJECT = "Your quote was accepted"


@pytest.fixture
def broker():
    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"CI must run the worker test, but Redis at {BROKER} is down: {exc}")
        pytest.skip(f"needs Redis at {BROKER}: {exc}")
    return BROKER


def start_worker(env: dict, queue: str, log: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "celery", "-A", "corp_billing.celery", "worker",
        "--concurrency", "1", "--queues", queue, "--loglevel", "INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the kill takes the pool child too
    )


def wait_for(condition, timeout: float, what: str, logs: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{logs.read_text()[-5000:]}")


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def test_a_job_killed_mid_send_is_redelivered_and_the_mail_leaves_once(
    broker, tmp_path, monkeypatch
):
    # Given a queued mail (as a committed step leaves it) and a worker on a slow mail server
    row = OutgoingMail.objects.create(
        to=["ap@alpha.example"],
        from_email="billing@openvoice.example",
        subject=SUBJECT,
        body="Thank you.",
        next_attempt_at=timezone.now(),
    )
    queue = f"kill-test-{uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="corp_billing.settings",
        DATABASE_URL=database_url(),
        JOBS_EAGER="false",
        CELERY_BROKER_URL=broker,
        JOBS_VISIBILITY_TIMEOUT="5",
        JOBS_RESTORE_EVERY="1",
        OUTBOX_CLAIM_SECONDS="3",
        EMAIL_BACKEND="tests.mail_backends.SlowFileBackend",
        SLOW_MAIL_DIR=str(tmp_path),
        SLOW_MAIL_SECONDS="20",
    )
    log = tmp_path / "worker.log"
    started, delivered = tmp_path / "started", tmp_path / "delivered"
    first = start_worker(env, queue, log)
    second = None
    try:
        # When its send job is enqueued and the worker is killed while the mail is being sent
        monkeypatch.setitem(app.conf, "task_always_eager", False)  # this one goes to Redis
        with Connection(broker) as conn:
            app.send_task("outbox.send_mail", args=[row.pk], queue=queue, connection=conn)
        wait_for(lambda: lines(started), 90, "the first worker to start sending", log)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        assert lines(delivered) == []  # killed mid-job: nothing left yet

        # And a new worker starts
        env["SLOW_MAIL_SECONDS"] = "1"
        second = start_worker(env, queue, log)

        # Then the job is handed to it and the mail is delivered
        wait_for(lambda: lines(delivered), 120, "the new worker to deliver the mail", log)
        time.sleep(3)  # room for a wrong second delivery to show
        assert len(lines(delivered)) == 1
        assert len(lines(started)) == 2  # the killed attempt, then the completed one
        assert lines(delivered)[0].endswith(SUBJECT)
        row.refresh_from_db()
        assert row.status == MailStatus.SENT
        assert row.attempts == 2

        # And the job is acknowledged: nothing of it is waiting or held in Redis any more
        client = redis.Redis.from_url(broker)
        wait_for(lambda: client.llen(queue) == 0, 10, "the queue to empty", log)
        held = [m for m in client.hvals("unacked") if queue.encode() in m]
        assert held == []
    finally:
        for worker in (first, second):
            if worker is not None:
                stop(worker)
        redis.Redis.from_url(broker).delete(queue)
