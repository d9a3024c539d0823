"""A mail server that is down never fails a committed step: the person sees success, the mail is
kept in the outbox, and ``send_queued_mail`` delivers it once the server is back, exactly once.

These tests commit for real (transactional), so mail leaves on commit as it does in production.
"""

import io
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from outbox import services
from outbox.models import MailStatus, OutgoingMail
from quotes.models import RevisionStatus
from tests import factories
from tests import po_builders as pb
from tests import quote_builders as qb

pytestmark = pytest.mark.django_db(transaction=True)

DOWN = "tests.mail_backends.DownBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
REFUSED = "ConnectionRefusedError: [Errno 111] Connection refused (test mail server is down)"
BACKEND = "contacts.backends.LoginIdBackend"


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user, backend=BACKEND)
    return client


def send_queued_mail() -> str:
    out = io.StringIO()
    call_command("send_queued_mail", stdout=out)
    return out.getvalue()


def kept(subject: str) -> OutgoingMail:
    return OutgoingMail.objects.get(subject=subject)


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = DOWN


def test_submitting_a_quote_with_the_mail_server_down_succeeds_and_keeps_the_mail(world, settings):
    # given a draft quote of account A, and a mail server that is down
    quote = qb.draft_quote(world.a, world.rep_a)
    settings.EMAIL_BACKEND = DOWN

    # when the representative submits it
    response = signed_in(world.rep_a).post(reverse("workflows:quote_submit", args=[quote.number]))

    # then they are sent to the quote, which went to the customer
    assert response.status_code == 302
    assert response["Location"] == reverse("quotes:detail", args=[quote.number])
    quote.current_revision.refresh_from_db()
    assert quote.current_revision.status == RevisionStatus.SENT
    # and the customer's mail is kept as failed, to be retried in a minute
    subject = f"OpenVoice: Quote {quote.number} (revision 1) is ready for your review"
    waiting = kept(subject)
    assert (waiting.status, waiting.attempts, waiting.last_error) == (
        MailStatus.FAILED,
        1,
        REFUSED,
    )
    assert waiting.to == sorted([world.contact_a.email, world.contact_a2.email])
    assert waiting.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert mail.outbox == []

    # when the server is back and send_queued_mail runs after the wait, twice
    settings.EMAIL_BACKEND = LOCMEM
    with freeze_time(timezone.now() + timedelta(minutes=2)):
        first, second = send_queued_mail(), send_queued_mail()

    # then the customer got the mail exactly once
    assert [(m.to, m.subject) for m in mail.outbox] == [(waiting.to, subject)]
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == (
        MailStatus.SENT,
        2,
        None,
    )
    assert f"sent #{waiting.pk} to " in first
    assert first.endswith("1 sent, 0 failed (will retry), 0 given up.\n")
    assert second == "0 sent, 0 failed (will retry), 0 given up.\n"


def test_accepting_a_quote_with_the_mail_server_down_succeeds_and_keeps_the_mail(
    world, smtp_down, settings
):
    # given a quote sent to account A (built while mail was down too)
    quote = qb.sent_quote(world.a, world.rep_a)

    # when a billing contact accepts it
    response = signed_in(world.contact_a).post(
        reverse("workflows:quote_decide", args=[quote.number]),
        {"decision": "accept", **pb.new_po_fields("PO-4711"), "comment": ""},
    )

    # then the acceptance went through and they are told so
    assert response.status_code == 302
    quote.current_revision.refresh_from_db()
    assert quote.current_revision.status == RevisionStatus.ACCEPTED
    subject = f"OpenVoice: Quote {quote.number} rev 1: accepted by {world.contact_a.display_name}"
    assert kept(subject).status == MailStatus.FAILED

    # when the server is back: every mail (quote sent; accepted, to the representative, the
    # contact who accepted with the PDF, the other contact) goes out, once each
    settings.EMAIL_BACKEND = LOCMEM
    with freeze_time(timezone.now() + timedelta(minutes=2)):
        send_queued_mail()
        send_queued_mail()
    name = world.contact_a.display_name
    assert sorted(m.subject for m in mail.outbox) == sorted(
        [
            f"OpenVoice: Quote {quote.number} (revision 1) is ready for your review",
            subject,
            f"OpenVoice: You accepted quote {quote.number} (revision 1)",
            f"OpenVoice: Quote {quote.number} (revision 1) was accepted by {name}",
        ]
    )
    # the accepted PDF, kept with its mail, went out with it after the retry
    (confirmation,) = [m for m in mail.outbox if m.subject.startswith("OpenVoice: You accepted")]
    assert confirmation.attachments[0][1][:5] == b"%PDF-"
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}


def test_emailing_the_billing_admin_with_the_mail_server_down_succeeds(world, smtp_down):
    # given a member of account A, and a mail server that is down
    client = signed_in(world.member_a)

    # when they e-mail their billing admin
    response = client.post(
        reverse("contacts:email_billing_admin", args=[world.a.number]),
        {"message": "Please add 20 seats."},
    )

    # then they are told it was sent, and the mail waits in the outbox, reply-to them
    assert response.status_code == 302
    waiting = OutgoingMail.objects.get()
    assert (waiting.to, waiting.reply_to, waiting.status) == (
        [world.contact_a.email],
        [world.member_a.email],
        MailStatus.FAILED,
    )


def test_asking_for_a_password_reset_with_the_mail_server_down_succeeds(world, smtp_down):
    # when a contact asks for a reset link while the mail server is down
    response = Client(raise_request_exception=False).post(
        reverse("contacts:password_reset"), {"username": world.contact_a.username}
    )

    # then they see the usual "check your mail" page. The reset mail leaves after the response
    # (so that its cost does not tell which IDs exist) and is not kept: they can ask again
    # (contacts/mail.py says why).
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:password_reset_done")
    assert not OutgoingMail.objects.exists()


def test_a_rolled_back_step_leaves_no_mail(world):
    # given a quote that is already accepted: accepting it again is refused, nothing committed
    quote = qb.sent_quote(world.a, world.rep_a)
    contact = signed_in(world.contact_a)
    decide = reverse("workflows:quote_decide", args=[quote.number])
    accept = {"decision": "accept", **pb.new_po_fields("PO-1"), "comment": ""}
    assert contact.post(decide, accept).status_code == 302
    before = OutgoingMail.objects.count()

    # when the second contact accepts it too
    refused = signed_in(world.contact_a2).post(decide, accept)

    # then nothing more is queued
    assert refused.status_code == 409
    assert OutgoingMail.objects.count() == before


def test_retries_wait_longer_each_time_and_stop_after_the_last_attempt(world, settings):
    # given a mail that failed on commit because the server is down
    settings.EMAIL_BACKEND = DOWN
    services.mail_queue(to=["ap@alpha.example"], subject="Hello", body="Hi")
    waiting = OutgoingMail.objects.get()
    start = timezone.now()
    assert waiting.attempts == 1

    # when send_queued_mail runs a minute before each retry is due, and when it is due, while
    # the server stays down
    waits = [1, 2, 4, 8, 16, 32, 60, 60, 60]
    early, on_time = [], []
    minute = 0
    for wait in waits:
        minute += wait
        with freeze_time(start + timedelta(minutes=minute - 1)):
            early.append(send_queued_mail())
        with freeze_time(start + timedelta(minutes=minute)):
            on_time.append(send_queued_mail())
    with freeze_time(start + timedelta(days=7)):
        a_week_later = send_queued_mail()

    # then it waited 1, 2, 4 … 32 minutes, then hourly: ten attempts in all, then gave up
    nothing = "0 sent, 0 failed (will retry), 0 given up.\n"
    assert early == [nothing] * len(waits)
    assert [out.splitlines()[-1] for out in on_time] == [
        "0 sent, 1 failed (will retry), 0 given up."
    ] * (len(waits) - 1) + ["0 sent, 0 failed (will retry), 1 given up."]
    assert on_time[0].startswith(f"failed #{waiting.pk} to ap@alpha.example (attempt 2 of 10, ")
    assert on_time[-1].startswith(f"gave up #{waiting.pk} to ap@alpha.example after 10 attempts")
    assert a_week_later == nothing
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == (
        MailStatus.FAILED,
        services.MAX_ATTEMPTS,
        None,
    )
    assert mail.outbox == []


def test_runners_started_together_send_each_mail_once(world, settings):
    # given 30 mails queued while the server was down, all due again
    settings.EMAIL_BACKEND = DOWN
    for n in range(30):
        services.mail_queue(to=[f"person{n}@mail.example"], subject=f"Mail {n}", body="Hi")
    settings.EMAIL_BACKEND = LOCMEM
    OutgoingMail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))

    # when four runners of send_queued_mail start at the same instant
    barrier = threading.Barrier(4)
    errors = []

    def runner():
        from django.db import connection

        try:
            barrier.wait(timeout=30)
            call_command("send_queued_mail", batch=5, stdout=io.StringIO())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then every mail left exactly once
    assert errors == []
    assert sorted(m.subject for m in mail.outbox) == sorted(f"Mail {n}" for n in range(30))
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}


def test_an_administrator_sees_failed_mail_in_the_admin_and_cannot_change_it(world, smtp_down):
    # given a mail that failed
    services.mail_queue(to=["ap@alpha.example"], subject="Your quote", body="Hi")
    waiting = OutgoingMail.objects.get()
    admin = factories.staff("administrator", is_staff=True, is_superuser=True)
    client = signed_in(admin)

    # when the administrator opens the outbox in the admin
    listing = client.get(reverse("admin:outbox_outgoingmail_changelist") + "?status=failed")
    page = client.get(reverse("admin:outbox_outgoingmail_change", args=[waiting.pk]))

    # then they see the failure and its error, read-only
    assert listing.status_code == 200
    assert "Your quote" in listing.content.decode()
    assert "Connection refused (test mail server is down)" in listing.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:outbox_outgoingmail_add")).status_code == 403
    delete = client.post(
        reverse("admin:outbox_outgoingmail_delete", args=[waiting.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert OutgoingMail.objects.filter(pk=waiting.pk).exists()
