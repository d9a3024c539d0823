"""Issue 11, customer side: an account may need two different billing contacts to accept a
quote above an amount. Driven through the portal's pages as each person would use them.

Account a (USD, PO required) has billing contacts contact_a (primary) and contact_a2 and
representative rep_a. A 10-seat quote at list price totals 2,400.00.
"""

import datetime
import hashlib
import html
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from freezegun import freeze_time
from viewflow.workflow.status import PROCESS

from audit.models import AuditAction, AuditEvent
from purchase_orders.services import drawn
from quotes import policy
from quotes.models import Acceptance
from tests import quote_builders as qb
from tests.workflows.test_quote_flow import (
    DECIDE_LABEL,
    PREFIX,
    REVISE_LABEL,
    actions,
    alerts,
    as_user,  # noqa: F401  (fixture)
    decide,
    deliver,  # noqa: F401  (fixture)
    inbox,
    open_tasks,
    pdf_text,
    processes,
    revision,
    snapshot,
    statuses,
)

SECOND_LABEL = "Give the second acceptance or reject"


def set_amount(client, account, amount: str):
    return client.post(
        reverse("contacts:second_acceptance_amount", args=[account.number]),
        {"amount": amount},
        follow=True,
    )


def second_accept(client, quote, pdf_sha256: str, follow=True):
    return client.post(
        reverse("workflows:quote_second_accept", args=[quote.number]),
        {"pdf_sha256": pdf_sha256, "confirm": "on"},
        follow=follow,
    )


def page(client, quote) -> str:
    response = client.get(reverse("quotes:detail", args=[quote.number]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def download(client, quote, original=False) -> bytes:
    name = "quotes:pdf_original" if original else "quotes:pdf"
    response = client.get(reverse(name, args=[quote.number, revision(quote).number]))
    assert response.status_code == 200
    return response.content


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def two_signatures(world, as_user):
    """The representative sets, on the account page, that quotes above 1,000 need two billing
    contacts; a 2,400 quote is sent."""
    response = set_amount(as_user(world.rep_a), world.a, "1000")
    assert ("success", "Saved: quotes above that amount need two billing contacts to accept.") in (
        alerts(response)
    )
    return qb.sent_quote(world.a, world.rep_a)


# --- the amount, on the account page ------------------------------------------------------------


def test_the_representative_sets_the_amount_on_the_account_page(world, as_user):
    rep = as_user(world.rep_a)
    account_url = reverse("contacts:account_home", args=[world.a.number])
    assert "One billing contact" in rep.get(account_url).content.decode()

    # When the representative sets 1,000
    set_amount(rep, world.a, "1000")

    # Then the account page says so, to the representative and to the billing contacts
    world.a.refresh_from_db()
    assert world.a.second_acceptance_above == Decimal("1000")
    for person in (rep, as_user(world.contact_a)):
        text = html.unescape(person.get(account_url).content.decode())
        assert "Two different billing contacts above 1,000.00 USD" in text
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_SECOND_ACCEPTANCE_SET)
    assert (event.actor, event.before, event.after) == (
        world.rep_a,
        {"amount": None},
        {"amount": "1000"},
    )

    # When they clear it, one contact is enough again
    set_amount(rep, world.a, "")
    world.a.refresh_from_db()
    assert world.a.second_acceptance_above is None


def test_an_account_with_one_billing_contact_is_warned_that_no_big_quote_can_be_accepted(
    world, as_user
):
    # Given account b, whose only billing contact is contact_b
    rep = as_user(world.rep_b)
    # When its representative asks for two signatures above 1,000
    page = set_amount(rep, world.b, "1000")
    # Then it is saved, and they are told that no quote above it can be accepted yet
    world.b.refresh_from_db()
    assert world.b.second_acceptance_above == Decimal("1000")
    assert (
        "warning",
        "This account has fewer than two billing contacts: a quote above that "
        "amount cannot be accepted until a second billing contact is added.",
    ) in alerts(page)
    # and the account's page says so to everyone who reads it, its billing contact included
    for client in (rep, as_user(world.contact_b)):
        text = html.unescape(
            client.get(reverse("contacts:account_home", args=[world.b.number])).content.decode()
        )
        assert "This account has one billing contact: a quote above" in text
    # while account a, with two billing contacts, gets no such warning
    page = set_amount(as_user(world.rep_a), world.a, "1000")
    assert not [kind for kind, _ in alerts(page) if kind == "warning"]
    assert 'id="second-acceptance-warning"' not in page.content.decode()


def test_a_negative_amount_is_refused_and_nothing_changes(world, as_user):
    response = as_user(world.rep_a).post(
        reverse("contacts:second_acceptance_amount", args=[world.a.number]), {"amount": "-5"}
    )
    assert response.status_code == 400
    world.a.refresh_from_db()
    assert world.a.second_acceptance_above is None


@pytest.mark.parametrize("role", ["contact_a", "member_a", "rep_b", "deal_desk"])
def test_only_the_accounts_representative_sets_the_amount(world, as_user, role):
    response = as_user(getattr(world, role)).post(
        reverse("contacts:second_acceptance_amount", args=[world.a.number]), {"amount": "1"}
    )
    assert response.status_code == 404
    world.a.refresh_from_db()
    assert world.a.second_acceptance_above is None
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_SECOND_ACCEPTANCE_SET).exists()


# --- the happy path: two different contacts ----------------------------------------------------


def test_two_different_billing_contacts_accept_the_same_document(
    world, as_user, two_signatures, deliver
):
    quote = two_signatures
    first, second = as_user(world.contact_a), as_user(world.contact_a2)
    assert "need two different billing contacts to accept" in page(first, quote)
    sent_pdf = download(first, quote)

    # When the first contact accepts, with a PO
    mail.outbox.clear()
    with deliver():
        response = decide(first, quote, "accept", po_number="PO-77")

    # Then the quote is not accepted yet: it records "accepted by X, awaiting a second contact"
    assert statuses(quote) == ["awaiting_second"]
    text = page(first, quote)
    assert (
        f"Accepted by {world.contact_a.display_name} ({world.contact_a.username})" in text
        and "awaiting a second billing contact" in text
    )
    acceptance = Acceptance.objects.get()
    assert (acceptance.accepted_by, acceptance.needs_second, acceptance.second_accepted_by) == (
        world.contact_a,
        True,
        None,
    )
    assert acceptance.pdf_sha256 == sha(sent_pdf)
    assert revision(quote).decided_by is None
    # And the other billing contacts are asked by mail and in their task list; not the first.
    # The representative is told the quote waits for a second contact.
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([world.contact_a2.email], f"{PREFIX}Quote {quote.number} needs a second acceptance"),
        (
            [world.rep_a.email],
            f"{PREFIX}Quote {quote.number} rev 1: accepted by {world.contact_a.display_name}, "
            "awaiting a second billing contact",
        ),
    ]
    assert acceptance.pdf_sha256 in mail.outbox[0].body
    assert "accepted once another of its billing contacts accepts" in mail.outbox[1].body
    assert inbox(second) == [(SECOND_LABEL, quote.number)]
    assert inbox(first) == []
    assert open_tasks(quote) == ["second_acceptance"]
    assert "You gave the first acceptance" in text
    assert 'id="second-acceptance"' not in text
    assert AuditAction.QUOTE_FIRST_ACCEPTANCE in actions(quote)
    assert AuditAction.QUOTE_ACCEPTED not in actions(quote)

    # And the second contact sees exactly what the first accepted: same revision, same bytes
    second_page = page(second, quote)
    assert acceptance.pdf_sha256 in second_page
    assert 'id="second-acceptance"' in second_page
    assert sha(download(second, quote, original=True)) == acceptance.pdf_sha256
    assert sha(download(second, quote)) == acceptance.pdf_sha256

    # When the second contact accepts that document
    mail.outbox.clear()
    with deliver():
        response = second_accept(second, quote, acceptance.pdf_sha256)

    # Then the quote is accepted, by both, and the representative is told
    assert (
        "success",
        "You gave the second acceptance: the quote is accepted. Your representative has been told.",
    ) in alerts(response)
    assert statuses(quote) == ["accepted"]
    acceptance.refresh_from_db()
    assert acceptance.second_accepted_by == world.contact_a2
    assert revision(quote).decided_by == world.contact_a2
    assert [(m.to, m.subject) for m in mail.outbox if m.to == [world.rep_a.email]] == [
        (
            [world.rep_a.email],
            f"{PREFIX}Quote {quote.number} rev 1: accepted by {world.contact_a2.display_name}",
        )
    ]
    # and the second signer gets the accepted PDF to file, as the first one did
    (confirmation,) = [m for m in mail.outbox if m.to == [world.contact_a2.email]]
    (attachment,) = confirmation.attachments
    assert attachment[1] == bytes(acceptance.pdf) and attachment[2] == "application/pdf"
    assert processes(quote) == [PROCESS.DONE]
    assert open_tasks(quote) == []
    assert inbox(second) == []
    accepted = AuditEvent.objects.get(action=AuditAction.QUOTE_ACCEPTED)
    assert accepted.after["first_accepted_by"] == world.contact_a.username
    assert accepted.after["pdf_sha256"] == acceptance.pdf_sha256
    # And the PDF stamp names both signers; the PDF as accepted is still the bytes accepted
    stamped = pdf_text(download(second, quote))
    assert f"Accepted by {world.contact_a.display_name} ({world.contact_a.username})" in stamped
    assert f"and by {world.contact_a2.display_name} ({world.contact_a2.username})" in stamped
    assert sha(download(second, quote, original=True)) == acceptance.pdf_sha256
    assert "Second acceptance by" in page(first, quote)


def test_below_the_amount_one_contact_is_enough(world, as_user, deliver):
    set_amount(as_user(world.rep_a), world.a, "5000")
    quote = qb.sent_quote(world.a, world.rep_a)
    decide(as_user(world.contact_a), quote, "accept", po_number="PO-1")
    assert statuses(quote) == ["accepted"]
    assert Acceptance.objects.get().needs_second is False


# --- refusals -----------------------------------------------------------------------------------


def test_the_same_person_cannot_accept_twice(world, as_user, two_signatures):
    quote = two_signatures
    first = as_user(world.contact_a)
    decide(first, quote, "accept", po_number="PO-77")
    acceptance = Acceptance.objects.get()
    before = snapshot(quote)

    # When the first contact tries to give the second acceptance too
    response = second_accept(first, quote, acceptance.pdf_sha256)

    # Then they are told why, and nothing changed
    assert alerts(response) == [
        (
            "error",
            "You gave the first acceptance: a second, different billing contact of your account "
            "must accept it too.",
        )
    ]
    assert snapshot(quote) == before
    assert statuses(quote) == ["awaiting_second"]

    # And accepting again through the first form is a 409, also changing nothing
    again = decide(first, quote, "accept", po_number="PO-78", follow=False)
    assert again.status_code == 409
    assert snapshot(quote) == before


def test_a_different_document_is_refused(world, as_user, two_signatures):
    quote = two_signatures
    decide(as_user(world.contact_a), quote, "accept", po_number="PO-77")
    before = snapshot(quote)

    response = second_accept(as_user(world.contact_a2), quote, "ab" * 32)

    assert alerts(response) == [
        (
            "error",
            "The document you confirmed is not the one the first contact accepted (its SHA-256 "
            "differs). Reload the page and check it again; nothing was changed.",
        )
    ]
    assert snapshot(quote) == before


def test_people_of_another_account_or_without_the_right_get_a_404(world, as_user, two_signatures):
    quote = two_signatures
    decide(as_user(world.contact_a), quote, "accept", po_number="PO-77")
    acceptance = Acceptance.objects.get()
    before = snapshot(quote)
    for person in (world.contact_b, world.member_a, world.rep_a, world.deal_desk):
        response = second_accept(as_user(person), quote, acceptance.pdf_sha256, follow=False)
        assert response.status_code == 404, person
    assert snapshot(quote) == before


# --- either contact ends the round ------------------------------------------------------------


def test_the_second_contact_rejecting_ends_the_round(world, as_user, two_signatures, deliver):
    quote = two_signatures
    decide(as_user(world.contact_a), quote, "accept", po_number="PO-77")
    po = Acceptance.objects.get().purchase_order
    assert drawn(po) == Decimal("2400.00")

    # When the second contact rejects it
    with deliver():
        response = decide(as_user(world.contact_a2), quote, "reject", comment="Over budget")

    # Then the quote is rejected, the first acceptance is gone (the PO is not drawn on) and the
    # process has ended
    assert ("success", "You rejected the quote. Your representative has been told.") in alerts(
        response
    )
    assert statuses(quote) == ["rejected"]
    assert revision(quote).decided_by == world.contact_a2
    assert not Acceptance.objects.exists()
    assert drawn(po) == Decimal("0.00")
    assert processes(quote) == [PROCESS.DONE]
    ended = AuditEvent.objects.filter(action=AuditAction.QUOTE_FIRST_ACCEPTANCE).latest("id")
    assert ended.before["accepted_by"] == world.contact_a.username
    assert "ended unconfirmed" in ended.message
    # And the PDF no longer claims an acceptance
    assert "ACCEPTED" not in pdf_text(download(as_user(world.contact_a), quote))


def test_the_first_contact_asking_for_changes_ends_the_round(world, as_user, two_signatures):
    quote = two_signatures
    first = as_user(world.contact_a)
    decide(first, quote, "accept", po_number="PO-77")

    # When the first contact changes their mind and asks for changes
    decide(first, quote, "request_changes", comment="One more seat")

    # Then the round is over: the representative revises, nobody is asked for a signature
    assert statuses(quote) == ["changes_requested"]
    assert not Acceptance.objects.exists()
    assert inbox(as_user(world.rep_a)) == [(REVISE_LABEL, quote.number)]
    assert inbox(as_user(world.contact_a2)) == []


def test_the_representative_can_withdraw_while_the_second_acceptance_waits(
    world, as_user, two_signatures
):
    quote = two_signatures
    decide(as_user(world.contact_a), quote, "accept", po_number="PO-77")

    response = as_user(world.rep_a).post(
        reverse("workflows:quote_withdraw", args=[quote.number]),
        {"reason": "Pricing error"},
        follow=True,
    )

    assert ("success", "Withdrawn: the customer can no longer accept it and has been told.") in (
        alerts(response)
    )
    assert statuses(quote) == ["withdrawn"]
    assert not Acceptance.objects.exists()
    assert inbox(as_user(world.contact_a2)) == []


def test_a_quote_awaiting_its_second_acceptance_expires(world, as_user):
    set_amount(as_user(world.rep_a), world.a, "1000")
    quote = qb.sent_quote(world.a, world.rep_a, valid_days=2)
    decide(as_user(world.contact_a), quote, "accept", po_number="PO-77")
    ends = policy.expires_at(revision(quote))

    # When the validity day has ended (in New York) and the hourly job runs
    with freeze_time(ends + datetime.timedelta(minutes=5)):
        call_command("expire_quotes", stdout=io.StringIO())
        # Then it expired; the second contact can no longer accept it
        assert statuses(quote) == ["expired"]
        assert not Acceptance.objects.exists()
        assert processes(quote) == [PROCESS.DONE]


def test_inbox_labels(world, as_user, two_signatures):
    quote = two_signatures
    assert inbox(as_user(world.contact_a2)) == [(DECIDE_LABEL, quote.number)]
    decide(as_user(world.contact_a), quote, "accept", po_number="PO-77")
    assert inbox(as_user(world.contact_a2)) == [(SECOND_LABEL, quote.number)]
    assert re.search("Give the second acceptance", str(inbox(as_user(world.contact_a)))) is None
