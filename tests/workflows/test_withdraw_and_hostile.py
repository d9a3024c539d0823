"""Withdrawing a sent quote, and the quote-flow items of the hostile-input review (issue 7):
customers see only what was sent to them and who sent it, a low unit price is a discount, the
"PDF as accepted" is the accepted bytes, and rights are checked before state."""

import hashlib

import pytest
from django.core import mail
from django.urls import reverse
from viewflow.workflow.status import PROCESS

from audit.models import AuditAction, AuditEvent
from quotes.models import Acceptance, QuoteRevision
from quotes.policy import Action
from tests import po_builders as pb
from tests import quote_builders as qb
from tests.security.snapshot import db_snapshot
from workflows import services as flow_services
from workflows.models import QuoteProcess

from .test_quote_flow import (  # noqa: F401  (fixtures)
    alerts,
    as_user,
    decide,
    deliver,
    draft,
    edit,
    line,
    open_tasks,
    review,
    seat,
    statuses,
    submit,
)


def withdraw(client, quote, reason="Pricing error on line 1", follow=True):
    return client.post(
        reverse("workflows:quote_withdraw", args=[quote.number]), {"reason": reason}, follow=follow
    )


# --- withdraw ------------------------------------------------------------------------------


def test_the_representative_withdraws_a_sent_quote_and_the_contacts_are_told(
    world, as_user, deliver
):
    # Given a quote sent to account a's billing contacts
    quote = qb.sent_quote(world.a, world.rep_a)
    rep = as_user(world.rep_a)
    assert (
        "Withdraw quote" in rep.get(reverse("quotes:detail", args=[quote.number])).content.decode()
    )
    mail.outbox.clear()

    # When the representative withdraws it with a reason
    with deliver():
        page = withdraw(rep, quote)

    # Then it is withdrawn, the customer's task is gone and the process ended
    assert ("success", "Withdrawn: the customer can no longer accept it and has been told.") in (
        alerts(page)
    )
    assert statuses(quote) == ["withdrawn"]
    assert open_tasks(quote) == []
    assert QuoteProcess.objects.get(quote=quote).status == PROCESS.DONE
    revision = QuoteRevision.objects.get(quote=quote)
    assert (revision.withdrawn_by, revision.withdrawal_reason) == (
        world.rep_a,
        "Pricing error on line 1",
    )
    # And the billing contacts were e-mailed the reason
    (message,) = mail.outbox
    assert sorted(message.to) == sorted([world.contact_a.email, world.contact_a2.email])
    assert message.subject == f"OpenVoice: Quote {quote.number} (revision 1) was withdrawn"
    assert "Reason: Pricing error on line 1" in message.body
    # And it is audited, and the customer reads it in the history
    event = AuditEvent.objects.get(action=AuditAction.QUOTE_WITHDRAWN)
    assert (event.actor, event.account) == (world.rep_a, world.a)
    customer_page = as_user(world.contact_a).get(reverse("quotes:detail", args=[quote.number]))
    text = customer_page.content.decode()
    assert "Quote withdrawn" in text and "Accept quote" not in text


def test_a_withdrawn_quote_cannot_be_accepted_and_can_be_reissued(world, as_user):
    quote = qb.sent_quote(world.a, world.rep_a)
    withdraw(as_user(world.rep_a), quote)
    customer = as_user(world.contact_a)
    before = db_snapshot()

    refused = decide(customer, quote, "accept", po_number="PO-1", follow=False)

    assert refused.status_code == 409
    assert "This quote was already withdrawn; nothing was changed." in refused.content.decode()
    assert db_snapshot() == before
    # The representative can re-issue it as revision 2
    response = as_user(world.rep_a).post(reverse("quotes:new_revision", args=[quote.number]))
    assert response.status_code == 302
    assert statuses(quote) == ["withdrawn", "draft"]


def test_withdrawing_needs_a_reason_and_changes_nothing_without_one(world, as_user):
    quote = qb.sent_quote(world.a, world.rep_a)
    rep = as_user(world.rep_a)
    before = db_snapshot()
    page = withdraw(rep, quote, reason="   ")
    assert ("error", "Say why the quote is withdrawn; the customer will read it.") in alerts(page)
    assert db_snapshot() == before


@pytest.mark.parametrize("role", ["contact_a", "deal_desk", "finance", "rep_b", "member_a"])
def test_only_the_accounts_representative_may_withdraw(world, as_user, role):
    quote = qb.sent_quote(world.a, world.rep_a)
    client = as_user(getattr(world, role))
    before = db_snapshot()
    response = withdraw(client, quote, follow=False)
    assert response.status_code == 404
    assert db_snapshot() == before
    assert statuses(quote) == ["sent"]


def test_a_decided_quote_cannot_be_withdrawn(world, as_user):
    quote = qb.sent_quote(world.a, world.rep_a)
    flow_services.quote_accept(quote=quote, actor=world.contact_a, new_po=pb.new_po("PO-9"))
    rep = as_user(world.rep_a)
    before = db_snapshot()
    response = withdraw(rep, quote, follow=False)
    assert response.status_code == 409
    assert db_snapshot() == before


# --- issue 7 item 3: customers see what was sent, and who sent it ---------------------------


def test_the_customer_list_shows_the_latest_sent_revision_not_the_draft(world, as_user, seat):
    # Given revision 1 sent at 2,400.00, then a revision 2 in draft at 1,200.00
    quote = qb.sent_quote(world.a, world.rep_a)
    flow_services.quote_decline(
        quote=quote, actor=world.contact_a, action=Action.REQUEST_CHANGES, comment="Fewer"
    )
    rep = as_user(world.rep_a)
    rep.post(reverse("quotes:new_revision", args=[quote.number]))
    edit(rep, quote, [line(seat, quantity="5")])

    # When the billing contact lists the quotes
    listing = as_user(world.contact_a).get(reverse("quotes:list")).content.decode()

    # Then the row shows revision 1 as sent to them, never the draft
    row = listing[listing.index(quote.number) :]
    row = row[: row.index("</tr>")]
    assert "2,400.00" in row and "1,200.00" not in row
    assert "Draft" not in row
    # While the representative sees the draft
    rep_row = rep.get(reverse("quotes:list")).content.decode()
    rep_row = rep_row[rep_row.index(quote.number) :]
    assert "1,200.00" in rep_row[: rep_row.index("</tr>")]


def test_the_sender_is_the_representative_even_when_deal_desk_approved(world, as_user):
    quote = qb.pending_approval_quote(world.a, world.rep_a)
    flow_services.quote_approve(quote=quote, actor=world.deal_desk, comment="fine")

    revision = QuoteRevision.objects.get(quote=quote)
    assert revision.sent_by == world.rep_a
    sent = AuditEvent.objects.get(action=AuditAction.QUOTE_SENT)
    assert sent.actor == world.rep_a
    page = as_user(world.contact_a).get(reverse("quotes:detail", args=[quote.number]))
    text = page.content.decode()
    assert f"{world.a.time_zone} by {world.rep_a.display_name}" in text
    assert world.deal_desk.display_name not in text


# --- issue 7 item 7: a low unit price is a discount ------------------------------------------


def test_a_unit_price_far_below_list_goes_to_deal_desk(world, seat):
    # 1.00 against a list price of 240.00 is a 99.58 % discount
    quote = qb.submitted_quote(world.a, world.rep_a, lines=[qb.line(seat, unit_price="1.00")])
    assert statuses(quote) == ["pending_approval"]
    required = AuditEvent.objects.get(action=AuditAction.QUOTE_APPROVAL_REQUIRED)
    assert any("99.58%" in rule for rule in required.after["rules"]), required.after


def test_a_unit_price_at_list_goes_straight_to_the_customer(world, seat):
    quote = qb.submitted_quote(world.a, world.rep_a, lines=[qb.line(seat, unit_price="240.00")])
    assert statuses(quote) == ["sent"]


@pytest.mark.parametrize(
    "change",
    [{"terms": "Net 90"}, {"valid_until": "later"}],
    ids=["terms", "validity"],
)
def test_changing_terms_or_validity_after_approval_asks_again(world, as_user, seat, change):
    import datetime

    rep = as_user(world.rep_a)
    quote = draft(rep, world.a, [line(seat, discount="20")], terms="Net 30")
    submit(rep, quote)
    review(as_user(world.deal_desk), quote, "approve")
    decide(as_user(world.contact_a), quote, "request_changes", comment="Add a note")
    rep.post(reverse("quotes:new_revision", args=[quote.number]))
    header = {"terms": "Net 30"}
    if "terms" in change:
        header["terms"] = change["terms"]
    else:
        header["valid_until"] = datetime.date.today() + datetime.timedelta(days=60)
    edit(rep, quote, [line(seat, discount="20")], **header)
    submit(rep, quote)
    assert statuses(quote) == ["changes_requested", "pending_approval"]


# --- issue 7 item 10: the accepted bytes ---------------------------------------------------


def test_pdf_as_accepted_is_the_accepted_bytes_after_the_account_changes(world, as_user):
    quote = qb.sent_quote(world.a, world.rep_a)
    flow_services.quote_accept(quote=quote, actor=world.contact_a, new_po=pb.new_po("PO-1"))
    acceptance = Acceptance.objects.get()
    world.a.billing_address = "1 New Street\nElsewhere"
    world.a.name = "Alpha Renamed Corp"
    world.a.save()

    response = as_user(world.contact_a).get(reverse("quotes:pdf_original", args=[quote.number, 1]))

    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert hashlib.sha256(body).hexdigest() == acceptance.pdf_sha256
    assert response["X-Content-SHA256"] == acceptance.pdf_sha256


def test_there_is_no_pdf_as_accepted_of_a_revision_not_accepted(world, as_user):
    quote = qb.sent_quote(world.a, world.rep_a)
    response = as_user(world.contact_a).get(reverse("quotes:pdf_original", args=[quote.number, 1]))
    assert response.status_code == 404


# --- issue 7 item 13: rights before state ----------------------------------------------------


@pytest.mark.parametrize("builder", ["pending_approval_quote", "sent_quote", "draft_quote"])
def test_a_customer_posting_to_the_review_step_gets_404_whatever_the_state(world, as_user, builder):
    quote = getattr(qb, builder)(world.a, world.rep_a)
    customer = as_user(world.contact_a)
    before = db_snapshot()
    response = customer.post(
        reverse("workflows:quote_review", args=[quote.number]),
        {"decision": "approve", "comment": ""},
    )
    assert response.status_code == 404
    assert db_snapshot() == before


@pytest.mark.parametrize("builder", ["pending_approval_quote", "sent_quote", "draft_quote"])
def test_a_representative_posting_a_decision_gets_404_whatever_the_state(world, as_user, builder):
    quote = getattr(qb, builder)(world.a, world.rep_a)
    rep = as_user(world.rep_a)
    before = db_snapshot()
    response = rep.post(
        reverse("workflows:quote_decide", args=[quote.number]),
        {"decision": "accept", **pb.new_po_fields("PO-1")},
    )
    assert response.status_code == 404
    assert db_snapshot() == before


# --- issue 7 item 11: inputs that gave a 500 ------------------------------------------------


def test_a_billing_frequency_outside_the_choices_is_a_form_error(world, as_user, seat):
    from .test_quote_flow import edit_data

    rep = as_user(world.rep_a)
    quote = qb.draft_quote(world.a, world.rep_a)
    before = db_snapshot()

    response = rep.post(
        reverse("quotes:edit", args=[quote.number]),
        edit_data([line(seat)], frequency="fortnightly"),
    )

    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert db_snapshot() == before


def test_the_last_representable_validity_date_saves_shows_and_submits(world, as_user, seat):
    import datetime

    rep = as_user(world.rep_a)
    quote = qb.draft_quote(world.a, world.rep_a)

    edit(rep, quote, [line(seat)], valid_until=datetime.date(9999, 12, 31))
    page = rep.get(reverse("quotes:detail", args=[quote.number]))
    submitted = submit(rep, quote)

    assert page.status_code == 200 and "9999-12-31, end of day" in page.content.decode()
    assert submitted.status_code == 200
    assert statuses(quote) == ["sent"]
    customer_page = as_user(world.contact_a).get(reverse("quotes:detail", args=[quote.number]))
    assert customer_page.status_code == 200
