"""Outgoing mail: queued as a row in the caller's transaction, sent once it commits.

A mail server that is down never fails the step that sent the mail: the step is committed, the
person sees success, the failure is logged and kept on the row (the admin shows it), and
``manage.py send_queued_mail`` retries it with a growing wait until ``MAX_ATTEMPTS``.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import MailStatus, OutgoingAttachment, OutgoingMail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# The wait after the first failure; it doubles after each further one, up to LONGEST_WAIT
# (1, 2, 4 … 32 minutes, then hourly: ten attempts span about four hours).
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
# A runner sending a mail holds it this long (well over EMAIL_TIMEOUT); if the runner dies
# mid-send, the mail is due again afterwards. settings.OUTBOX_CLAIM, ten minutes by default.
CLAIM = timedelta(minutes=10)


def _claim_period() -> timedelta:
    return getattr(settings, "OUTBOX_CLAIM", CLAIM)


def mail_queue(
    *,
    to: list[str],
    subject: str,
    body: str,
    reply_to: list[str] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> OutgoingMail:
    """Stores one e-mail in the current transaction and tries to send it when that commits.
    Rolled back with the transaction, it is never sent. ``attachments`` are (file name, bytes,
    MIME type)."""
    mail = OutgoingMail.objects.create(
        to=list(to),
        reply_to=list(reply_to or []),
        from_email=settings.DEFAULT_FROM_EMAIL,
        subject=subject,
        body=body,
        next_attempt_at=timezone.now(),
    )
    for filename, content, mimetype in attachments or []:
        OutgoingAttachment.objects.create(
            mail=mail, filename=filename, content=content, mimetype=mimetype
        )
    transaction.on_commit(partial(_send_after_commit, mail.pk))
    return mail


def _send_after_commit(mail_id: int) -> None:
    # Runs after the person's step has committed: whatever goes wrong here, they see success.
    # The send is a job (outbox.jobs): in-process in development, on the worker in production.
    # A job that is never enqueued (broker down) or lost is no loss: the row stays due and the
    # periodic send_queued_mail job sends it.
    from .jobs import send_mail

    try:
        send_mail.delay(mail_id)
    except Exception:
        logger.exception("Outgoing mail %s was not sent; send_queued_mail retries it", mail_id)


def retry_wait(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    return min(FIRST_WAIT * 2 ** (attempts - 1), LONGEST_WAIT)


def _claim(*, ids: list[int] | None, limit: int) -> list[OutgoingMail]:
    """Takes up to ``limit`` due mails for one attempt each: counts the attempt and holds them
    for ``CLAIM``, so no concurrent runner sends them too. On PostgreSQL rows another runner is
    claiming are skipped (SKIP LOCKED); SQLite's IMMEDIATE transactions run claims one by one."""
    now = timezone.now()
    with transaction.atomic():
        due = OutgoingMail.objects.exclude(status=MailStatus.SENT).filter(next_attempt_at__lte=now)
        if ids is not None:
            due = due.filter(pk__in=ids)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        pks = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
        OutgoingMail.objects.filter(pk__in=pks).update(
            attempts=F("attempts") + 1, next_attempt_at=now + _claim_period()
        )
    return list(
        OutgoingMail.objects.filter(pk__in=pks)
        .prefetch_related("attachments")
        .order_by("next_attempt_at", "pk")
    )


def _attempt(mail: OutgoingMail) -> None:
    message = EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=mail.from_email,
        to=mail.to,
        reply_to=mail.reply_to or None,
    )
    for attachment in mail.attachments.all():
        message.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    try:
        message.send()
    except Exception as exc:
        mail.status = MailStatus.FAILED
        mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        mail.next_attempt_at = (
            None if mail.attempts >= MAX_ATTEMPTS else timezone.now() + retry_wait(mail.attempts)
        )
        logger.warning(
            "Outgoing mail %s to %s failed (attempt %s of %s): %s",
            mail.pk,
            ", ".join(mail.to),
            mail.attempts,
            MAX_ATTEMPTS,
            mail.last_error,
        )
    else:
        mail.status = MailStatus.SENT
        mail.sent_at = timezone.now()
        mail.next_attempt_at = None
    mail.save(update_fields=["status", "last_error", "next_attempt_at", "sent_at"])


def mail_send_due(*, ids: list[int] | None = None, limit: int = 100) -> list[OutgoingMail]:
    """Sends up to ``limit`` due mails (of ``ids`` if given) once each and returns them with
    their new status. Never raises for a mail server's error: that is kept on the row."""
    mails = _claim(ids=ids, limit=limit)
    for mail in mails:
        _attempt(mail)
    return mails
