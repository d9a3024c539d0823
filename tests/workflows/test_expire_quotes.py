"""The ``expire_quotes`` cron command: 7-day and 1-day reminders once each, expiry at the end of
the validity day in the account's time zone, and nothing more on a second run.

Account a is in America/New_York. A revision valid until 10 December 2026 expires at the end of
that day there: 2026-12-11 00:00 EST = 2026-12-11 05:00 UTC.
"""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from audit.models import AuditAction, AuditEvent
from quotes import policy
from quotes import services as quote_services
from quotes.models import QuoteRevision
from tests import quote_builders
from workflows import services as flow_services
from workflows.flows import QuoteFlow
from workflows.models import QuoteProcess

VALID_UNTIL = datetime.date(2026, 12, 10)
EXPIRES_AT = datetime.datetime(2026, 12, 11, 5, 0, tzinfo=datetime.UTC)
SENT_AT = "2026-11-20 15:00:00+00:00"
SUBJECT_PREFIX = "OpenVoice: "


@pytest.fixture
def quote(world):
    # Given a quote sent to account a on 20 November, valid until 10 December 2026
    with freeze_time(SENT_AT):
        return quote_builders.sent_quote(world.a, world.rep_a, valid_until=VALID_UNTIL)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Runs the command at ``moment`` (frozen clock); returns its output. Mail is delivered."""

    def _run(moment, *args):
        out = StringIO()
        with freeze_time(moment), django_capture_on_commit_callbacks(execute=True):
            call_command("expire_quotes", *args, stdout=out)
        return out.getvalue()

    return _run


def _billing_contacts(world):
    return sorted([world.contact_a.email, world.contact_a2.email])


def _revision(quote):
    return QuoteRevision.objects.get(pk=quote.current_revision_id)


def _process(quote):
    return QuoteProcess.objects.get(quote=quote)


def _reminders(quote):
    return list(
        AuditEvent.objects.filter(action=AuditAction.QUOTE_REMINDER_SENT, object_id=str(quote.pk))
        .order_by("id")
        .values_list("message", flat=True)
    )


def test_expiry_moment_is_the_end_of_the_day_in_the_accounts_time_zone(quote):
    assert policy.expires_at(_revision(quote)) == EXPIRES_AT


def test_eight_days_before_expiry_nothing_happens(world, quote, run):
    # When the command runs a minute more than 8 days before the end of the validity day
    moment = EXPIRES_AT - datetime.timedelta(days=8, minutes=1)
    output = run(moment)

    # Then no reminder goes out and nothing changes
    assert output.splitlines() == [
        f"Checking 1 sent revision at {moment.isoformat()}…",
        "Done: 0 expired, 0 reminders sent, 1 unchanged.",
    ]
    assert mail.outbox == []
    revision = _revision(quote)
    assert (revision.status, revision.reminded_7d_at, revision.reminded_1d_at) == (
        "sent",
        None,
        None,
    )
    assert _reminders(quote) == []


def test_seven_day_reminder_goes_to_the_billing_contacts_once(world, quote, run):
    moment = EXPIRES_AT - datetime.timedelta(days=7)

    # When the command runs exactly 7 days before expiry
    output = run(moment)

    # Then the billing contacts of account a get one 7-day reminder
    assert f"{quote.number} rev 1: reminder 7d sent" in output.splitlines()
    assert output.splitlines()[-1] == "Done: 0 expired, 1 reminder sent, 0 unchanged."
    (message,) = mail.outbox
    assert message.to == _billing_contacts(world)
    assert message.subject == f"{SUBJECT_PREFIX}Quote {quote.number} expires in 7 days"
    assert "expires in 7 days, on 2026-12-10, end of day America/New_York" in message.body
    revision = _revision(quote)
    assert (revision.reminded_7d_at, revision.reminded_1d_at) == (moment, None)
    assert _reminders(quote) == ["rev 1: 7d before expiry"]

    # When it runs again an hour later
    output = run(moment + datetime.timedelta(hours=1))

    # Then nothing more is sent: the command is idempotent
    assert output.splitlines()[-1] == "Done: 0 expired, 0 reminders sent, 1 unchanged."
    assert len(mail.outbox) == 1
    assert _reminders(quote) == ["rev 1: 7d before expiry"]


def test_one_day_reminder_goes_out_once_after_the_seven_day_one(world, quote, run):
    # Given the 7-day reminder went out
    run(EXPIRES_AT - datetime.timedelta(days=7))
    mail.outbox.clear()

    # When the command runs 1 day before expiry, and again an hour later
    moment = EXPIRES_AT - datetime.timedelta(days=1)
    first = run(moment)
    second = run(moment + datetime.timedelta(hours=1))

    # Then exactly one 1-day reminder was sent to the billing contacts
    assert f"{quote.number} rev 1: reminder 1d sent" in first.splitlines()
    assert second.splitlines()[-1] == "Done: 0 expired, 0 reminders sent, 1 unchanged."
    (message,) = mail.outbox
    assert message.to == _billing_contacts(world)
    assert message.subject == f"{SUBJECT_PREFIX}Quote {quote.number} expires in 1 day"
    assert _revision(quote).reminded_1d_at == moment
    assert _reminders(quote) == ["rev 1: 7d before expiry", "rev 1: 1d before expiry"]


def test_a_missed_seven_day_reminder_is_not_sent_late(world, quote, run):
    # Given the command did not run until 12 hours before expiry
    run(EXPIRES_AT - datetime.timedelta(hours=12))

    # Then only the 1-day reminder goes out, and the 7-day one never follows
    run(EXPIRES_AT - datetime.timedelta(hours=11))
    assert [m.subject for m in mail.outbox] == [
        f"{SUBJECT_PREFIX}Quote {quote.number} expires in 1 day"
    ]
    assert _reminders(quote) == ["rev 1: 1d before expiry"]


def test_still_valid_one_minute_before_the_end_of_the_day(world, quote, run):
    # Given both reminders went out
    run(EXPIRES_AT - datetime.timedelta(days=7))
    run(EXPIRES_AT - datetime.timedelta(days=1))
    mail.outbox.clear()

    # When the command runs at 04:59 UTC on 11 December (23:59 in New York on the 10th)
    output = run(EXPIRES_AT - datetime.timedelta(minutes=1))

    # Then the quote is still open for a decision
    assert output.splitlines()[-1] == "Done: 0 expired, 0 reminders sent, 1 unchanged."
    assert _revision(quote).status == "sent"
    assert _process(quote).status == PROCESS.NEW
    assert mail.outbox == []


def test_after_the_validity_day_the_quote_expires_and_its_process_ends(world, quote, run):
    # When the command runs at 05:00 UTC on 11 December (midnight in New York)
    output = run(EXPIRES_AT)

    # Then the revision is expired, its process done, the decision task cancelled or done,
    # and the representative is told
    assert output.splitlines() == [
        f"Checking 1 sent revision at {EXPIRES_AT.isoformat()}…",
        f"{quote.number} rev 1: expired",
        "Done: 1 expired, 0 reminders sent, 0 unchanged.",
    ]
    assert _revision(quote).status == "expired"
    process = _process(quote)
    assert process.status == PROCESS.DONE
    assert (
        Task.objects.filter(process=process, status__in=[STATUS.NEW, STATUS.ASSIGNED]).count() == 0
    )
    assert (
        Task.objects.get(process=process, flow_task=QuoteFlow.customer_decision).status
        == STATUS.DONE
    )
    (message,) = mail.outbox
    assert message.to == [world.rep_a.email]
    assert message.subject == f"{SUBJECT_PREFIX}Quote {quote.number} rev 1 expired"
    event = AuditEvent.objects.get(action=AuditAction.QUOTE_EXPIRED)
    assert (event.actor, event.account, event.message) == (
        None,
        world.a,
        "rev 1 expired at the end of 2026-12-10",
    )

    # When it runs again
    later = EXPIRES_AT + datetime.timedelta(hours=1)
    again = run(later)

    # Then nothing changes: an expired revision is no longer "sent"
    assert again.splitlines() == [
        f"Checking 0 sent revisions at {later.isoformat()}…",
        "Done: 0 expired, 0 reminders sent, 0 unchanged.",
    ]
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action=AuditAction.QUOTE_EXPIRED).count() == 1
    assert _process(quote).status == PROCESS.DONE


def test_now_option_moves_time_without_freezing_the_clock(
    world, django_capture_on_commit_callbacks
):
    # Given a quote sent today (real clock), valid for 30 days
    quote = quote_builders.sent_quote(world.a, world.rep_a)
    expires_at = policy.expires_at(_revision(quote))

    def run_at(moment):
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("expire_quotes", "--now", moment.isoformat(), stdout=out)
        return out.getvalue()

    # When the command is told it is 7 days before expiry, then past it
    reminder = run_at(expires_at - datetime.timedelta(days=7))
    expiry = run_at(expires_at)

    # Then it reminds, then expires the quote and ends its process, on the given clock
    assert f"{quote.number} rev 1: reminder 7d sent" in reminder.splitlines()
    assert f"{quote.number} rev 1: expired" in expiry.splitlines()
    assert _revision(quote).status == "expired"
    assert _process(quote).status == PROCESS.DONE
    assert [m.subject for m in mail.outbox] == [
        f"{SUBJECT_PREFIX}Quote {quote.number} expires in 7 days",
        f"{SUBJECT_PREFIX}Quote {quote.number} rev 1 expired",
    ]


@pytest.mark.parametrize("value", ["2026-12-11T05:00:00", "next tuesday"])
def test_now_must_be_an_aware_iso_datetime(db, value):
    with pytest.raises(CommandError, match="--now"):
        call_command("expire_quotes", "--now", value, stdout=StringIO())


def test_only_sent_revisions_are_touched(world, run):
    # Given a draft, a quote waiting for deal desk and an accepted quote, all past validity
    with freeze_time(SENT_AT):
        draft = quote_builders.draft_quote(world.a, world.rep_a, valid_until=VALID_UNTIL)
        pending = quote_builders.pending_approval_quote(
            world.a, world.rep_a, valid_until=VALID_UNTIL
        )
        accepted = quote_builders.sent_quote(world.b, world.rep_b, valid_until=VALID_UNTIL)
        flow_services.quote_accept(quote=accepted, actor=world.contact_b)

    # When the command runs after all of them ended
    output = run(EXPIRES_AT + datetime.timedelta(days=1))

    # Then it checks none of them and changes nothing
    assert output.splitlines()[0].startswith("Checking 0 sent revisions")
    assert [_revision(q).status for q in (draft, pending, accepted)] == [
        "draft",
        "pending_approval",
        "accepted",
    ]
    assert mail.outbox == []


def test_queries_per_revision_are_only_what_the_services_need(world, run):
    """Selecting the revisions costs one query whatever their number; each revision then costs
    exactly what the reminder service itself spends (no lazy loads of quote or account)."""
    with freeze_time(SENT_AT):
        quotes = [
            quote_builders.sent_quote(world.a, world.rep_a, valid_until=VALID_UNTIL)
            for _ in range(3)
        ]
    quiet = EXPIRES_AT - datetime.timedelta(days=10)

    def command_queries():
        with freeze_time(quiet), CaptureQueriesContext(connection) as ctx:
            call_command("expire_quotes", stdout=StringIO())
        return len(ctx.captured_queries)

    def service_queries(quote):
        revision = QuoteRevision.objects.select_related("quote__account").get(
            pk=quote.current_revision_id
        )
        with CaptureQueriesContext(connection) as ctx:
            assert quote_services.revision_remind(revision=revision, now=quiet) is None
        return len(ctx.captured_queries)

    per_revision = service_queries(quotes[0])
    assert command_queries() == 1 + 3 * per_revision


def test_one_failing_quote_does_not_stop_the_others_and_the_run_fails(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    # Given two sent quotes, and the reminder of the first one breaks
    with freeze_time(SENT_AT):
        broken = quote_builders.sent_quote(world.a, world.rep_a, valid_until=VALID_UNTIL)
        fine = quote_builders.sent_quote(world.a, world.rep_a, valid_until=VALID_UNTIL)
    real_remind = quote_services.revision_remind

    def remind(*, revision, now):
        if revision.quote_id == broken.pk:
            raise RuntimeError("mail server on fire")
        return real_remind(revision=revision, now=now)

    monkeypatch.setattr(quote_services, "revision_remind", remind)

    # When the command runs 7 days before expiry
    out, err = StringIO(), StringIO()
    with (
        freeze_time(EXPIRES_AT - datetime.timedelta(days=7)),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CommandError) as failure,
    ):
        call_command("expire_quotes", stdout=out, stderr=err)

    # Then the other quote is still reminded, and the run exits with an error cron reports
    assert f"{fine.number} rev 1: reminder 7d sent" in out.getvalue()
    assert err.getvalue() == (
        f"{broken.number} rev 1: failed: RuntimeError('mail server on fire')\n"
    )
    assert str(failure.value) == "Done: 0 expired, 1 reminder sent, 0 unchanged, 1 failed."
    assert [m.subject for m in mail.outbox] == [
        f"{SUBJECT_PREFIX}Quote {fine.number} expires in 7 days"
    ]
    assert _revision(broken).reminded_7d_at is None
