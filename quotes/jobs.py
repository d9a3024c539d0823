"""The quotes' jobs. The acceptance row is the source of truth: a job makes the stamped copy
only while the row has none, so a job run twice (a retry, or a redelivery after a worker died)
renders and stores it once; a job that was lost leaves the row for the periodic sweep."""

from celery import shared_task

from corp_billing.jobs import RETRY

from . import services
from .models import Acceptance


@shared_task(name="quotes.stamp_acceptance", **RETRY)
def stamp_acceptance(acceptance_id: int) -> str:
    """Renders and keeps the stamped copy of one final acceptance, unless it is kept already."""
    acceptance = Acceptance.objects.filter(pk=acceptance_id).first()
    if acceptance is None:
        return f"acceptance {acceptance_id}: not found"
    if acceptance.stamped_pdf_sha256:
        return f"acceptance {acceptance_id}: kept already, {acceptance.stamped_pdf_sha256}"
    stamped = services.acceptance_stamp(acceptance=acceptance)
    if stamped is None:
        return f"acceptance {acceptance_id}: not accepted yet, nothing to stamp"
    return f"acceptance {acceptance_id}: stamped, {stamped.stamped_pdf_sha256}"


@shared_task(name="quotes.stamp_missing", **RETRY)
def stamp_missing() -> str:
    """The periodic sweep: stamped copies whose job was lost, and those of acceptances from
    before the copies were kept, a bounded batch a run."""
    made, left = services.acceptance_stamp_missing()
    return f"{made} stamped copies made, {left} still missing"
