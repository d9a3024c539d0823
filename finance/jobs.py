"""Finance's jobs: writing an export, and the periodic sweep of the export files.

The export's row is the source of truth (``services``): a job writes only an export the row
says is waiting, under its claim, so a retry or a second delivery after a worker died never
writes a finished export again."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from corp_billing.jobs import RETRY

from . import services


@shared_task(
    name="finance.write_export",
    bind=True,
    # Its own limits, shorter than every other job's (settings: the broker's visibility
    # timeout is longer than the longest limit, so a running export is never handed out twice).
    time_limit=settings.FINANCE_EXPORT_TIME_LIMIT,
    soft_time_limit=settings.FINANCE_EXPORT_SOFT_TIME_LIMIT,
    # Out of time, or refused: another try would end the same way.
    dont_autoretry_for=(SoftTimeLimitExceeded, services.ExportRefused),
    **RETRY,
)
def write_export(self, export_id: int) -> str:
    """Writes the export ``export_id`` if it is still waiting. A failed attempt raises (Celery
    retries it); the last one leaves the export failed, its error on the export's page."""
    try:
        return services.export_write(
            export_id=export_id, last_attempt=self.request.retries >= self.max_retries
        )
    except SoftTimeLimitExceeded:
        minutes = settings.FINANCE_EXPORT_SOFT_TIME_LIMIT // 60
        services.export_fail(
            export_id=export_id,
            error=(
                f"The export took longer than {minutes} minutes and was stopped. Narrow the "
                "filters (a date range, one register), or ask for manage.py export_finance."
            ),
        )
        raise


@shared_task(name="finance.sweep_exports", **RETRY)
def sweep_exports() -> str:
    """Deletes export files past their expiry (7 days) and sends lost export jobs again."""
    return services.exports_sweep()
