"""Races: many people act on the same quote step at the same instant, through the real views.

Each racer is a real thread with its own ``django.test.Client`` and its own database connection;
a ``threading.Barrier`` releases them together. Exactly one wins (302); everybody else gets a
clear 409, never a 500, and the domain and the viewflow process move on exactly once.

Row locks (``SELECT … FOR UPDATE NOWAIT``) exist on PostgreSQL only: the threaded tests are
skipped on SQLite, and fail instead when CI runs the suite against PostgreSQL and they would not
execute. The sequential double post at the end runs on both databases.
"""

import hashlib
import os
import threading
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from audit.models import AuditAction, AuditEvent
from contacts.models import StaffRole
from quotes.models import Acceptance, Quote, QuoteRevision, RevisionStatus, SentPdf
from tests import factories
from tests import po_builders as pb
from tests import quote_builders as qb
from tests.conftest import IN_CI
from tests.quote_builders import pending_approval_quote, sent_quote
from workflows.flows import QuoteFlow
from workflows.models import QuoteProcess
from workflows.services import LOCKED_MESSAGE, TAKEN_MESSAGE

RACERS = 20
BACKEND = "contacts.backends.LoginIdBackend"
ALREADY_ACCEPTED = "This quote was already accepted; nothing was changed."
CONFLICT_MESSAGES = (TAKEN_MESSAGE, LOCKED_MESSAGE, ALREADY_ACCEPTED)
THREADED = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_for_row_locks(request):
    if request.node.get_closest_marker("postgres_only") is None:
        return
    if connection.vendor == "postgresql":
        return
    if IN_CI and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.fail(
            f"CI's PostgreSQL run must execute the concurrency tests, but the database is "
            f"{connection.vendor!r}"
        )
    pytest.skip(
        f"needs PostgreSQL row locks (SELECT … FOR UPDATE NOWAIT); {connection.vendor} has "
        "none. Run with DATABASE_URL=postgres://…"
    )


@pytest.fixture
def approval_rules(transactional_db):
    """The default rules of migration 0002: an earlier transactional test flushes them away."""
    qb.ensure_default_rules()


@dataclass
class Outcome:
    user: object
    status: int
    body: str
    location: str | None


def race(users, url: str, data_for) -> list[Outcome]:
    """Every user POSTs ``data_for(i)`` to ``url`` at the same instant, each from its own
    thread, client and connection. An exception escaping a view counts as a 500."""
    barrier = threading.Barrier(len(users))
    outcomes: list[Outcome | None] = [None] * len(users)

    def run(index, user):
        try:
            client = Client()
            client.force_login(user, backend=BACKEND)
            barrier.wait(timeout=30)
            response = client.post(url, data_for(index))
            outcomes[index] = Outcome(
                user, response.status_code, response.content.decode(), response.get("Location")
            )
        except Exception:
            outcomes[index] = Outcome(user, 500, traceback.format_exc(), None)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, user), name=f"racer-{index}")
        for index, user in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return outcomes


def assert_one_winner(outcomes, expected_location: str) -> Outcome:
    statuses = Counter(outcome.status for outcome in outcomes)
    errors = [outcome.body for outcome in outcomes if outcome.status >= 500]
    assert not errors, errors[0]
    assert statuses == {302: 1, 409: len(outcomes) - 1}
    (winner,) = [outcome for outcome in outcomes if outcome.status == 302]
    assert winner.location == expected_location
    for loser in (outcome for outcome in outcomes if outcome.status == 409):
        assert "This quote has moved on" in loser.body
        assert any(escape(message) in loser.body for message in CONFLICT_MESSAGES), loser.body
    return winner


def flow_steps(quote) -> list[tuple[str, str]]:
    process = QuoteProcess.objects.get(quote=quote)
    return [
        (task.flow_task.name, task.status)
        for task in Task.objects.filter(process=process).order_by("id")
    ]


@pytest.mark.postgres_only
@THREADED
def test_twenty_contacts_accept_the_same_revision_at_once(world, approval_rules):
    # given a quote sent to account A (PO required) and 20 of its billing contacts
    quote = sent_quote(world.a, world.rep_a)
    revision = quote.current_revision
    contacts = [factories.billing_contact(world.a) for _ in range(RACERS)]
    mail.outbox.clear()

    # when all of them accept it at the same instant
    outcomes = race(
        contacts,
        reverse("workflows:quote_decide", args=[quote.number]),
        lambda i: {"decision": "accept", **pb.new_po_fields(f"PO-{i:03d}"), "comment": ""},
    )

    # then one acceptance went through and 19 people were told, clearly, that it had moved on
    winner = assert_one_winner(outcomes, reverse("quotes:detail", args=[quote.number]))
    po_number = f"PO-{outcomes.index(winner):03d}"
    acceptance = Acceptance.objects.get()
    assert (acceptance.revision_id, acceptance.accepted_by, acceptance.po_number) == (
        revision.pk,
        winner.user,
        po_number,
    )
    revision.refresh_from_db()
    assert (revision.status, revision.decided_by) == (RevisionStatus.ACCEPTED, winner.user)
    assert AuditEvent.objects.filter(action=AuditAction.QUOTE_ACCEPTED).count() == 1
    # (the representative is told once, the winner gets the accepted PDF, the other contacts
    # are told once)
    name = winner.user.display_name
    assert sorted(m.subject for m in mail.outbox) == sorted(
        [
            f"OpenVoice: Quote {quote.number} rev 1: accepted by {name}",
            f"OpenVoice: You accepted quote {quote.number} (revision 1)",
            f"OpenVoice: Quote {quote.number} (revision 1) was accepted by {name}",
        ]
    )
    # and the process took the customer's decision once and ended once
    assert flow_steps(quote) == [
        ("start", STATUS.DONE),
        ("route", STATUS.DONE),
        ("customer_decision", STATUS.DONE),
        ("route", STATUS.DONE),
        ("end", STATUS.DONE),
    ]
    assert QuoteProcess.objects.get(quote=quote).status == PROCESS.DONE
    task = Task.objects.get(flow_task=QuoteFlow.customer_decision)
    assert task.owner == winner.user


@pytest.mark.postgres_only
@THREADED
def test_twenty_deal_desk_users_approve_the_same_revision_at_once(world, approval_rules):
    # given a quote waiting for deal desk (a 20 % line discount) and 20 deal-desk users
    quote = pending_approval_quote(world.a, world.rep_a)
    revision = quote.current_revision
    reviewers = [factories.staff(StaffRole.DEAL_DESK) for _ in range(RACERS)]
    mail.outbox.clear()

    # when all of them approve it at the same instant
    outcomes = race(
        reviewers,
        reverse("workflows:quote_review", args=[quote.number]),
        lambda i: {"decision": "approve", "comment": f"fine by reviewer {i}"},
    )

    # then one approval went through, 19 got a 409, and the quote was sent once
    winner = assert_one_winner(outcomes, reverse("quotes:detail", args=[quote.number]))
    revision.refresh_from_db()
    # (the customer's sender is the representative who submitted it: issue 7, item 3)
    assert (revision.status, revision.approved_by, revision.sent_by) == (
        RevisionStatus.SENT,
        winner.user,
        world.rep_a,
    )
    assert revision.review_comment == f"fine by reviewer {outcomes.index(winner)}"
    assert AuditEvent.objects.filter(action=AuditAction.QUOTE_APPROVED).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.QUOTE_SENT).count() == 1
    assert [m.subject for m in mail.outbox] == [
        f"OpenVoice: Quote {quote.number} (revision 1) is ready for your review",
        f"OpenVoice: Quote {quote.number} rev 1 was approved by deal desk and sent to the customer",
    ]
    # and the process has exactly one customer decision waiting
    assert flow_steps(quote) == [
        ("start", STATUS.DONE),
        ("route", STATUS.DONE),
        ("deal_desk_review", STATUS.DONE),
        ("route", STATUS.DONE),
        ("customer_decision", STATUS.NEW),
    ]
    assert QuoteProcess.objects.get(quote=quote).status == PROCESS.NEW


@pytest.mark.postgres_only
@THREADED
@pytest.mark.parametrize("racers", [2, RACERS])
def test_contacts_giving_the_second_acceptance_at_once(world, approval_rules, racers):
    # given a quote above account A's two-signature amount, accepted once by contact_a, and
    # other billing contacts of A
    quote = qb.awaiting_second_quote(world.a, world.rep_a, world.contact_a)
    revision = quote.current_revision
    first = Acceptance.objects.get()
    contacts = [factories.billing_contact(world.a) for _ in range(racers)]
    mail.outbox.clear()

    # when all of them give the second acceptance at the same instant
    outcomes = race(
        contacts,
        reverse("workflows:quote_second_accept", args=[quote.number]),
        lambda i: {"pdf_sha256": first.pdf_sha256, "confirm": "on"},
    )

    # then exactly one completed it, everybody else got a clear 409
    winner = assert_one_winner(outcomes, reverse("quotes:detail", args=[quote.number]))
    first.refresh_from_db()
    assert (first.accepted_by, first.second_accepted_by) == (world.contact_a, winner.user)
    revision.refresh_from_db()
    assert (revision.status, revision.decided_by) == (RevisionStatus.ACCEPTED, winner.user)
    assert AuditEvent.objects.filter(action=AuditAction.QUOTE_ACCEPTED).count() == 1
    # (the representative is told once, the winner gets the accepted PDF, the other contacts
    # are told once)
    name = winner.user.display_name
    assert sorted(m.subject for m in mail.outbox) == sorted(
        [
            f"OpenVoice: Quote {quote.number} rev 1: accepted by {name}",
            f"OpenVoice: You accepted quote {quote.number} (revision 1)",
            f"OpenVoice: Quote {quote.number} (revision 1) was accepted by {name}",
        ]
    )
    # and the process took each customer step once and ended once
    assert flow_steps(quote) == [
        ("start", STATUS.DONE),
        ("route", STATUS.DONE),
        ("customer_decision", STATUS.DONE),
        ("route", STATUS.DONE),
        ("second_acceptance", STATUS.DONE),
        ("route", STATUS.DONE),
        ("end", STATUS.DONE),
    ]
    assert QuoteProcess.objects.get(quote=quote).status == PROCESS.DONE
    assert Task.objects.get(flow_task=QuoteFlow.second_acceptance).owner == winner.user


def create_form(world, key: uuid.UUID) -> dict:
    return {
        "title": "2027 renewal, 250 seats",
        "term_months": "12",
        "billing_frequency": "annually",
        "valid_until": "2099-12-31",
        "terms": "Net 30",
        "notes": "",
        "idempotency_key": str(key),
    }


def assert_one_quote_created(world, key, outcomes_locations):
    quote = Quote.objects.get()
    assert (quote.idempotency_key, quote.account, quote.created_by) == (key, world.a, world.rep_a)
    assert QuoteRevision.objects.filter(quote=quote).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.QUOTE_CREATED).count() == 1
    edit = reverse("quotes:edit", args=[quote.number])
    assert outcomes_locations == [edit] * len(outcomes_locations)


@pytest.mark.postgres_only
@THREADED
@pytest.mark.parametrize("posts", [2, 5])
def test_the_create_form_posted_several_times_at_once_makes_one_quote(world, posts):
    # given one create form (one idempotency key), submitted by an impatient double-clicker
    key = uuid.uuid4()
    data = create_form(world, key)

    # when it arrives several times at the same instant
    outcomes = race(
        [world.rep_a] * posts,
        reverse("quotes:create", args=[world.a.number]),
        lambda i: data,
    )

    # then one quote exists and every response leads to it
    assert [o.status for o in outcomes] == [302] * posts, [o.body for o in outcomes]
    assert_one_quote_created(world, key, [o.location for o in outcomes])


def test_the_create_form_posted_twice_makes_one_quote(world, login):
    # given one create form
    key = uuid.uuid4()
    client = login(world.rep_a)
    url = reverse("quotes:create", args=[world.a.number])

    # when it is posted twice, one after the other
    first = client.post(url, create_form(world, key))
    second = client.post(url, create_form(world, key))

    # then both responses lead to the one quote the first post made
    assert (first.status_code, second.status_code) == (302, 302)
    assert_one_quote_created(world, key, [first["Location"], second["Location"]])


def fetch_together(users, url: str) -> list[tuple[int, bytes]]:
    """Every user GETs ``url`` at the same instant, each from its own thread, client and
    connection; an exception escaping the view counts as a 500."""
    barrier = threading.Barrier(len(users))
    answers: list[tuple[int, bytes]] = [(0, b"")] * len(users)

    def run(index, user):
        try:
            client = Client()
            client.force_login(user, backend=BACKEND)
            barrier.wait(timeout=30)
            response = client.get(url)
            answers[index] = (response.status_code, response.content)
        except Exception:
            answers[index] = (500, traceback.format_exc().encode())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a reader hung"
    return answers


@pytest.mark.postgres_only
@THREADED
def test_first_readers_of_a_file_not_kept_yet_all_get_the_one_kept(world, approval_rules):
    readers = [world.contact_a, world.contact_a2, world.rep_a, world.deal_desk] * 2
    # Given a sent revision whose PDF was not kept (sent before files were kept)
    quote = sent_quote(world.a, world.rep_a)
    SentPdf.objects.all().delete()

    # When eight people download it at the same instant
    answers = fetch_together(readers, reverse("quotes:pdf", args=[quote.number, 1]))

    # Then nobody gets an error, everybody the same file, and that file is the one kept
    assert {status for status, _ in answers} == {200}, answers
    assert len({body for _, body in answers}) == 1
    assert bytes(SentPdf.objects.get().pdf) == answers[0][1]

    # Given it is accepted and its stamped copy's job has not run (its copy is cleared)
    client = Client()
    client.force_login(world.contact_a, backend=BACKEND)
    client.post(
        reverse("workflows:quote_decide", args=[quote.number]),
        {"decision": "accept", **pb.new_po_fields("PO-RACE")},
    )
    Acceptance.objects.update(stamped_pdf=b"", stamped_pdf_sha256="")

    # When eight people download the stamped copy at the same instant
    answers = fetch_together(readers, reverse("quotes:pdf", args=[quote.number, 1]))

    # Then they all get the one copy kept, whose hash the page prints
    assert {status for status, _ in answers} == {200}, answers
    assert len({body for _, body in answers}) == 1
    kept = Acceptance.objects.get()
    assert bytes(kept.stamped_pdf) == answers[0][1]
    assert kept.stamped_pdf_sha256 == hashlib.sha256(answers[0][1]).hexdigest()
