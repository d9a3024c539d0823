"""Periodic workflow jobs (enqueued by celery beat; see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from corp_billing.jobs import RETRY, run_command


@shared_task(name="workflows.expire_quotes", **RETRY)
def expire_quotes() -> str:
    """Expires sent quotes past their validity and sends the 7- and 1-day reminders, as
    ``manage.py expire_quotes`` does; a quote that failed fails the job, which is retried."""
    return run_command("expire_quotes")
