"""The outbox's jobs. The row is the source of truth: a job only sends what the row says is due,
under the outbox's claim, so a job run twice (a retry, or a redelivery after a worker died)
sends a mail once; a job that was lost leaves the row due for the periodic sweep."""

from celery import shared_task

from corp_billing.jobs import RETRY, run_command

from . import services
from .models import MailStatus


@shared_task(name="outbox.send_mail", **RETRY)
def send_mail(mail_id: int) -> str:
    """Sends one queued mail if it is still due. A mail server's refusal is not a job failure:
    it is kept on the row (the admin shows it) and the sweep retries it on the row's schedule."""
    mails = services.mail_send_due(ids=[mail_id])
    if not mails:
        return f"mail {mail_id}: not due (sent already, or another sender holds it)"
    mail = mails[0]
    if mail.status == MailStatus.SENT:
        return f"mail {mail_id}: sent"
    return f"mail {mail_id}: {mail.status}, attempt {mail.attempts}: {mail.last_error}"


@shared_task(name="outbox.send_queued_mail", **RETRY)
def send_queued_mail() -> str:
    """The periodic sweep: every mail that is due (never sent, failed and waited, or whose job
    was lost), as ``manage.py send_queued_mail`` does."""
    return run_command("send_queued_mail")
