"""The jobs, run in-process as ``make run`` and the tests run them (CELERY_TASK_ALWAYS_EAGER):
each does what its management command did, a mail leaves through its job, and a job that keeps
failing is retried and then shown to an administrator as failed, with its error."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_celery_results.models import TaskResult
from freezegun import freeze_time

from corp_billing.celery import app
from outbox import jobs as outbox_jobs
from outbox import services as outbox_services
from outbox.models import MailStatus, OutgoingMail
from quotes import services as quote_services
from quotes.models import QuoteRevision, RevisionStatus
from tests import factories
from tests import quote_builders as qb
from workflows import jobs as workflow_jobs

pytestmark = pytest.mark.django_db(transaction=True)

DOWN = "tests.mail_backends.DownBackend"


# An eager job has already run: reading its result cannot block. (Celery refuses
# ``get()`` whenever a worker has run in the process before, as one may have in this one.)


def test_jobs_run_in_process_without_a_broker_in_development():
    # and keep their results, as the worker does, so the admin shows them here too
    assert app.conf.task_always_eager is True
    assert app.conf.task_store_eager_result is True


def test_a_queued_mail_leaves_through_its_job_once_the_step_commits():
    # Given a step that queues a mail, when the step commits
    with transaction.atomic():
        row = outbox_services.mail_queue(to=["ap@alpha.example"], subject="Hello", body="Hi")
        # then nothing leaves before the commit
        assert mail.outbox == []
    # then the job sent it once, and the row says so
    assert [m.subject for m in mail.outbox] == ["Hello"]
    row.refresh_from_db()
    assert row.status == MailStatus.SENT and row.attempts == 1


def test_running_the_mail_job_again_sends_nothing_twice():
    row = outbox_services.mail_queue(to=["ap@alpha.example"], subject="Once", body="Hi")
    # When the job is delivered a second time (a retry, or a redelivery after a worker died)
    result = outbox_jobs.send_mail.delay(row.pk).get(disable_sync_subtasks=False)
    # Then the mail is not sent again
    assert [m.subject for m in mail.outbox] == ["Once"]
    assert "not due" in result


def test_the_periodic_mail_job_sends_what_failed_once_the_server_is_back(settings):
    # Given a mail that failed while the mail server was down
    settings.EMAIL_BACKEND = DOWN
    row = outbox_services.mail_queue(to=["ap@alpha.example"], subject="Later", body="Hi")
    row.refresh_from_db()
    assert row.status == MailStatus.FAILED
    # When the server is back and the sweep runs after the row's wait
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with freeze_time(row.next_attempt_at + datetime.timedelta(seconds=1)):
        output = outbox_jobs.send_queued_mail.delay().get(disable_sync_subtasks=False)
    # Then it is sent, once, and the job's result says so
    assert [m.subject for m in mail.outbox] == ["Later"]
    assert OutgoingMail.objects.get(pk=row.pk).status == MailStatus.SENT
    assert "1 sent, 0 failed" in output


def test_the_expiry_job_expires_a_quote_past_its_validity_date(world):
    # Given a quote valid until 10 December 2026 (New York)
    with freeze_time("2026-11-20 15:00:00+00:00"):
        quote = qb.sent_quote(world.a, world.rep_a, valid_until=datetime.date(2026, 12, 10))
    # When the periodic job runs after the end of that day there
    with freeze_time("2026-12-11 06:00:00+00:00"):
        output = workflow_jobs.expire_quotes.delay().get(disable_sync_subtasks=False)
    # Then the quote is expired, as the command would have done
    assert QuoteRevision.objects.get(pk=quote.current_revision_id).status == RevisionStatus.EXPIRED
    assert f"{quote.number} rev 1: expired" in output


def test_a_failing_job_is_retried_then_shown_failed_to_an_administrator(world, monkeypatch):
    # Given a sent quote whose reminder fails every time (a bug, a database hiccup)
    with freeze_time("2026-11-20 15:00:00+00:00"):
        qb.sent_quote(world.a, world.rep_a, valid_until=datetime.date(2026, 12, 10))
    calls = []

    def broken(**kwargs):
        calls.append(kwargs)
        raise RuntimeError("reminder service exploded")

    monkeypatch.setattr(quote_services, "revision_remind", broken)

    # When the expiry job runs
    with freeze_time("2026-12-05 12:00:00+00:00"):
        result = workflow_jobs.expire_quotes.delay()

    # Then it was tried six times (once and five retries), and failed in the end
    assert len(calls) == 6
    assert result.failed()
    # And an administrator sees it failed, with the error, in the admin's task results
    failed = TaskResult.objects.get(task_id=result.id)
    assert failed.status == "FAILURE"
    assert failed.task_name == "workflows.expire_quotes"
    assert "1 failed" in failed.result
    admin = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin, backend="contacts.backends.LoginIdBackend")
    page = client.get(reverse("admin:django_celery_results_taskresult_changelist"))
    assert page.status_code == 200
    assert "workflows.expire_quotes" in page.content.decode()
    assert "FAILURE" in page.content.decode()
