"""Periodic Billing Center jobs (enqueued by celery beat; see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from corp_billing.jobs import RETRY, run_command


@shared_task(name="billing_center.renew_subscriptions", **RETRY)
def renew_subscriptions() -> str:
    """Renews every plan that is due, as ``manage.py renew_subscriptions`` does (idempotent)."""
    return run_command("renew_subscriptions")
