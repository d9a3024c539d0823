"""PO change orders through the portal's pages, as each person would use them: a billing contact
proposes, a representative of the account (or finance) approves or rejects, and a change whose
PO moved on meanwhile is a conflict the contact re-bases. Also: acceptance drawing on a PO.

Account a (USD, PO required) has billing contacts contact_a and contact_a2 and representative
rep_a; the default sent quote is 10 seats at 240.00 = 2,400.00 USD.
"""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from audit.models import AuditAction, AuditEvent
from purchase_orders.models import ChangeStatus, PurchaseOrder, PurchaseOrderChange
from quotes.models import Acceptance, RevisionStatus
from tests import po_builders as pb
from tests import quote_builders as qb
from tests.page_errors import field_value, form_refusals
from tests.security.snapshot import db_snapshot
from workflows.flows import POChangeFlow
from workflows.models import POChangeProcess

REVIEW_LABEL = "Approve or reject the PO change"
REBASE_LABEL = "Re-base or withdraw the PO change"


@pytest.fixture
def as_user(db):
    def _as(user) -> Client:
        client = Client()
        client.force_login(user, backend="contacts.backends.LoginIdBackend")
        return client

    return _as


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def po(world):
    """PO-100 of account a: 10,000.00 USD, valid a year either side of today."""
    return pb.purchase_order(world.a, world.contact_a, "PO-100", "10000")


# The purchase-order part of the quote page's accept form, where PO refusals are shown.
PO_PART = 'class="po-fields"'


def alerts(response) -> list[tuple[str, str]]:
    return [
        (kind, html.unescape(text))
        for kind, text in re.findall(
            r'<div class="alert ([^"]*)" role="status">(.*?)</div>', response.content.decode()
        )
    ]


def inbox(client) -> list[str]:
    response = client.get(reverse("workflows:inbox"))
    assert response.status_code == 200
    return re.findall(
        r'<td><a href="/purchase-orders/\d+/">([^<]+)</a></td>\s*<td>PO ([^ ]+) —',
        response.content.decode(),
    )


def propose(client, po, *, amount="12000", base_version=None, reason="Budget raised", **extra):
    data = {
        "number": po.number,
        "amount": amount,
        "valid_from": po.valid_from.isoformat(),
        "valid_to": po.valid_to.isoformat(),
        "reason": reason,
        "base_version": str(base_version or po.version),
        **extra,
    }
    return client.post(reverse("workflows:po_change_propose", args=[po.pk]), data, follow=True)


def review(client, change, decision, comment=""):
    return client.post(
        reverse("workflows:po_change_review", args=[change.pk]),
        {"decision": decision, "comment": comment},
        follow=True,
    )


def steps(change) -> list[tuple[str, str]]:
    process = POChangeProcess.objects.get(change=change)
    return [
        (task.flow_task.name, task.status)
        for task in Task.objects.filter(process=process).order_by("id")
    ]


def po_events(po) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="purchase_orders.purchaseorder", object_id=str(po.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- approved ----------------------------------------------------------------------------------


def test_a_change_proposed_by_a_contact_and_approved_by_the_representative_is_applied(
    world, po, as_user, deliver
):
    contact, rep = as_user(world.contact_a), as_user(world.rep_a)
    # When the contact proposes a higher amount
    with deliver():
        page = propose(contact, po, amount="12000")
    # Then it waits for review, in the representative's and finance's inboxes
    assert alerts(page) == [("success", "Your proposed change was sent for review.")]
    change = PurchaseOrderChange.objects.get()
    assert (change.status, change.base_version, change.proposed_by) == (
        ChangeStatus.PENDING,
        1,
        world.contact_a,
    )
    assert change.before["amount"] == "10000.00" and change.after["amount"] == "12000.00"
    assert inbox(rep) == [(REVIEW_LABEL, "PO-100")]
    assert inbox(as_user(world.finance)) == [(REVIEW_LABEL, "PO-100")]
    assert inbox(as_user(world.rep_b)) == [] and inbox(contact) == []
    assert [m.subject for m in mail.outbox] == [
        "OpenVoice: OV-1000001: a change of purchase order PO-100 awaits review"
    ]
    assert sorted(mail.outbox[0].to) == sorted([world.rep_a.email, world.finance.email])
    mail.outbox.clear()

    # When the representative approves it with a comment
    with deliver():
        page = review(rep, change, "approve", "Matches the signed PO")

    # Then the PO has the new amount and version, the change is the history
    assert alerts(page) == [("success", "Approved: the purchase order was changed.")]
    po.refresh_from_db()
    assert (po.amount, po.version) == (Decimal("12000"), 2)
    change.refresh_from_db()
    assert (change.status, change.decided_by, change.comment) == (
        ChangeStatus.APPROVED,
        world.rep_a,
        "Matches the signed PO",
    )
    assert change.before["amount"] == "10000.00" and change.after["amount"] == "12000.00"
    assert steps(change) == [
        ("start", STATUS.DONE),
        ("route", STATUS.DONE),
        ("review", STATUS.DONE),
        ("route", STATUS.DONE),
        ("end", STATUS.DONE),
    ]
    assert POChangeProcess.objects.get(change=change).status == PROCESS.DONE
    assert po_events(po) == [
        AuditAction.PO_CREATED,
        AuditAction.PO_CHANGE_PROPOSED,
        AuditAction.PO_CHANGE_APPROVED,
    ]
    approved = AuditEvent.objects.get(action=AuditAction.PO_CHANGE_APPROVED)
    assert (approved.before["amount"], approved.after["amount"]) == ("10000.00", "12000.00")
    assert [m.subject for m in mail.outbox] == [
        "OpenVoice: Purchase order PO-100: change approved and applied"
    ]
    # And the contact sees the new amount and the history on the PO page
    page = contact.get(reverse("purchase_orders:detail", args=[po.pk])).content.decode()
    assert '<dd class="num" id="po-amount">12,000.00 USD</dd>' in page
    history = page.split('id="po-history"')[1].split("</table>")[0]
    assert "Approved and applied" in history and "10,000.00 USD" in history
    assert "12,000.00 USD" in history and "Matches the signed PO" in history


def test_finance_may_approve_a_change_of_any_account(world, as_user):
    po_b = pb.purchase_order(world.b, world.contact_b, "B-1", "500")
    propose(as_user(world.contact_b), po_b, amount="800")
    change = PurchaseOrderChange.objects.get()
    review(as_user(world.finance), change, "approve")
    po_b.refresh_from_db()
    assert (po_b.amount, po_b.version) == (Decimal("800"), 2)


# --- rejected ----------------------------------------------------------------------------------


def test_a_rejected_change_leaves_the_po_as_it_was(world, po, as_user, deliver):
    propose(as_user(world.contact_a), po, amount="15000")
    change = PurchaseOrderChange.objects.get()
    rep = as_user(world.rep_a)
    # A rejection needs a reason
    before = db_snapshot()
    page = review(rep, change, "reject")
    assert alerts(page) == [("error", "Say why the change is rejected; the proposer will read it.")]
    assert db_snapshot() == before
    # With one, the change is rejected and the PO unchanged
    with deliver():
        page = review(rep, change, "reject", "The signed PO says 10,000")
    assert alerts(page) == [("success", "Rejected: the proposer has been told.")]
    po.refresh_from_db()
    change.refresh_from_db()
    assert (po.amount, po.version) == (Decimal("10000"), 1)
    assert (change.status, change.decided_by, change.comment) == (
        ChangeStatus.REJECTED,
        world.rep_a,
        "The signed PO says 10,000",
    )
    assert po_events(po)[-1] == AuditAction.PO_CHANGE_REJECTED
    assert world.contact_a.email in mail.outbox[0].to
    assert POChangeProcess.objects.get(change=change).status == PROCESS.DONE
    # A second decision is a clear 409, nothing changed
    finance = as_user(world.finance)
    before = db_snapshot()
    again = finance.post(
        reverse("workflows:po_change_review", args=[change.pk]), {"decision": "approve"}
    )
    assert again.status_code == 409
    assert "This change is already rejected; nothing was changed." in html.unescape(
        again.content.decode()
    )
    assert db_snapshot() == before


# --- conflicted and re-based ------------------------------------------------------------------


def test_a_change_made_against_an_old_version_conflicts_and_is_re_based(
    world, po, as_user, deliver
):
    contact, contact2, rep = (
        as_user(world.contact_a),
        as_user(world.contact_a2),
        as_user(world.rep_a),
    )
    # Given two changes proposed against version 1
    propose(contact, po, amount="12000", reason="first")
    propose(contact2, po, amount="15000", reason="second")
    first, second = PurchaseOrderChange.objects.order_by("id")
    # And the first approved: the PO is at version 2
    review(rep, first, "approve")
    # When the representative approves the second
    with deliver():
        page = review(rep, second, "approve")
    # Then it is not applied: a conflict, handed back to the contacts
    assert alerts(page)[0][0] == "warning"
    assert "Not applied: the purchase order was changed" in alerts(page)[0][1]
    po.refresh_from_db()
    second.refresh_from_db()
    assert (po.amount, po.version) == (Decimal("12000"), 2)
    assert second.status == ChangeStatus.CONFLICTED
    assert second.after["amount"] == "15000.00"  # the proposal is kept
    assert [m.subject for m in mail.outbox] == [
        "OpenVoice: Purchase order PO-100: your change must be re-based"
    ]
    assert mail.outbox[0].to == [world.contact_a2.email]
    assert inbox(contact2) == [(REBASE_LABEL, "PO-100")]
    assert inbox(rep) == []
    page = contact2.get(reverse("purchase_orders:detail", args=[po.pk])).content.decode()
    assert "The purchase order was changed after this was proposed" in page
    # A representative cannot re-base it: the same 404 as a missing change
    before = db_snapshot()
    denied = rep.post(
        reverse("workflows:po_change_conflict", args=[second.pk]), {"decision": "rebase"}
    )
    assert denied.status_code == 404
    assert db_snapshot() == before

    # When the proposer re-bases it on the current version
    page = contact2.post(
        reverse("workflows:po_change_conflict", args=[second.pk]),
        {"decision": "rebase"},
        follow=True,
    )
    # Then it waits for review again against version 2 with the same values
    assert alerts(page) == [
        ("success", "Re-based on the current values and sent for review again.")
    ]
    second.refresh_from_db()
    assert (second.status, second.base_version) == (ChangeStatus.PENDING, 2)
    assert second.before["amount"] == "12000.00" and second.after["amount"] == "15000.00"
    assert inbox(rep) == [(REVIEW_LABEL, "PO-100")]
    # And approving it now applies it
    review(rep, second, "approve")
    po.refresh_from_db()
    assert (po.amount, po.version) == (Decimal("15000"), 3)
    assert [step for step, _ in steps(second)] == [
        "start",
        "route",
        "review",
        "route",
        "rebase",
        "route",
        "review",
        "route",
        "end",
    ]
    assert po_events(po)[-3:] == [
        AuditAction.PO_CHANGE_CONFLICTED,
        AuditAction.PO_CHANGE_REBASED,
        AuditAction.PO_CHANGE_APPROVED,
    ]


def test_a_proposal_from_a_stale_page_is_refused_before_anything_is_saved(world, po, as_user):
    contact = as_user(world.contact_a)
    propose(contact, po, amount="12000")
    review(as_user(world.rep_a), PurchaseOrderChange.objects.get(), "approve")
    before = db_snapshot()
    # When the contact posts the form they opened at version 1
    response = contact.post(
        reverse("workflows:po_change_propose", args=[po.pk]),
        {
            "number": "PO-100",
            "amount": "9000",
            "valid_from": po.valid_from.isoformat(),
            "valid_to": po.valid_to.isoformat(),
            "reason": "stale",
            "base_version": "1",
        },
    )
    assert response.status_code == 409
    assert "was changed since you opened it" in html.unescape(response.content.decode())
    assert db_snapshot() == before


# --- the amount never drops below what quotes draw -------------------------------------------


def accept_on(client, quote, po):
    return client.post(
        reverse("workflows:quote_decide", args=[quote.number]),
        {"decision": "accept", "purchase_order": str(po.pk)},
        follow=True,
    )


def test_the_amount_cannot_drop_below_what_accepted_quotes_draw(world, po, as_user):
    contact, rep = as_user(world.contact_a), as_user(world.rep_a)
    quote = qb.sent_quote(world.a, world.rep_a)
    accept_on(contact, quote, po)
    assert Acceptance.objects.get().purchase_order == po
    # At proposal
    before = db_snapshot()
    page = propose(contact, po, amount="2000")
    assert alerts(page) == [
        (
            "error",
            "Accepted quotes already draw 2,400.00 USD on purchase order PO-100: its amount "
            "cannot be lower than that.",
        )
    ]
    assert db_snapshot() == before
    # And at approval: a proposal that was fine becomes too low once another quote draws
    propose(contact, po, amount="4000")
    change = PurchaseOrderChange.objects.get()
    accept_on(contact, qb.sent_quote(world.a, world.rep_a), po)
    before = db_snapshot()
    page = review(rep, change, "approve")
    assert alerts(page) == [
        (
            "error",
            "Accepted quotes already draw 4,800.00 USD on purchase order PO-100: its amount "
            "cannot be lower than that.",
        )
    ]
    assert db_snapshot() == before
    po.refresh_from_db()
    assert (po.amount, po.version) == (Decimal("10000"), 1)


# --- acceptance draws on a PO -------------------------------------------------------------------


def test_accepting_draws_on_the_chosen_po_and_the_ledger_shows_what_is_left(world, po, as_user):
    contact = as_user(world.contact_a)
    page = accept_on(contact, qb.sent_quote(world.a, world.rep_a), po)
    assert ("success", "You accepted the quote. Your representative has been told.") in alerts(page)
    acceptance = Acceptance.objects.get()
    assert (acceptance.purchase_order, acceptance.po_number) == (po, "PO-100")
    ledger = contact.get(reverse("purchase_orders:ledger", args=[world.a.number])).content
    row = ledger.decode().split("PO-100</a>")[1].split("</tr>")[0]
    assert "10,000.00 USD" in row and "2,400.00 USD" in row and "7,600.00 USD" in row


def test_an_overrun_is_refused_and_nothing_is_saved(world, as_user):
    small = pb.purchase_order(world.a, world.contact_a, "PO-SMALL", "2000")
    quote = qb.sent_quote(world.a, world.rep_a)
    contact = as_user(world.contact_a)
    before = db_snapshot()
    page = accept_on(contact, quote, small)
    assert page.status_code == 400
    assert form_refusals(page, within=PO_PART) == [
        "Purchase order PO-SMALL has 2,000.00 USD left, less than this quote's total of "
        "2,400.00 USD. Choose another purchase order or enter a new one; nothing was saved."
    ]
    assert db_snapshot() == before
    quote.current_revision.refresh_from_db()
    assert quote.current_revision.status == RevisionStatus.SENT


def test_an_expired_po_is_refused_and_nothing_is_saved(world, as_user):
    today = timezone.localdate()
    old = pb.purchase_order(
        world.a,
        world.contact_a,
        "PO-OLD",
        "90000",
        valid_from=today - timedelta(days=400),
        valid_to=today - timedelta(days=30),
    )
    quote = qb.sent_quote(world.a, world.rep_a)
    contact = as_user(world.contact_a)
    before = db_snapshot()
    page = accept_on(contact, quote, old)
    (refusal,) = form_refusals(page, within=PO_PART)
    # The refusal says when it ran out, in the account's own zone
    ended = old.valid_to.strftime("%d %B %Y")
    assert (
        f"Purchase order PO-OLD is expired (valid until the end of {ended}, America/New_York)"
        in refusal
    )
    assert db_snapshot() == before


def test_a_new_po_entered_while_accepting_is_created_and_drawn_on(world, as_user):
    quote = qb.sent_quote(world.a, world.rep_a)
    page = as_user(world.contact_a).post(
        reverse("workflows:quote_decide", args=[quote.number]),
        {"decision": "accept", **pb.new_po_fields("PO-NEW", "3000")},
        follow=True,
    )
    assert ("success", "You accepted the quote. Your representative has been told.") in alerts(page)
    po = PurchaseOrder.objects.get(number="PO-NEW")
    assert (po.amount, po.created_from_acceptance, po.created_by) == (
        Decimal("3000"),
        True,
        world.contact_a,
    )
    assert Acceptance.objects.get().purchase_order == po


def test_a_new_po_too_small_for_the_quote_is_not_created_either(world, as_user):
    quote = qb.sent_quote(world.a, world.rep_a)
    contact = as_user(world.contact_a)
    before = db_snapshot()
    page = contact.post(
        reverse("workflows:quote_decide", args=[quote.number]),
        {"decision": "accept", **pb.new_po_fields("PO-TINY", "100")},
        follow=True,
    )
    assert "less than this quote's total" in form_refusals(page, within=PO_PART)[0]
    # and what the contact entered is still in the form
    assert (field_value(page, "po-number"), field_value(page, "po-amount")) == ("PO-TINY", "100")
    assert db_snapshot() == before


def test_another_accounts_po_cannot_be_chosen(world, as_user):
    po_b = pb.purchase_order(world.b, world.contact_b, "B-1", "90000")
    quote = qb.sent_quote(world.a, world.rep_a)
    contact = as_user(world.contact_a)
    before = db_snapshot()
    page = contact.post(
        reverse("workflows:quote_decide", args=[quote.number]),
        {"decision": "accept", "purchase_order": str(po_b.pk)},
        follow=True,
    )
    assert form_refusals(page, within=PO_PART) == ["Choose one of your account's purchase orders."]
    assert db_snapshot() == before


# --- the ledger --------------------------------------------------------------------------------


def test_the_ledger_flags_near_expiry_and_nearly_used(world, as_user):
    today = timezone.localdate()
    pb.purchase_order(
        world.a, world.contact_a, "PO-SOON", "90000", valid_to=today + timedelta(days=10)
    )
    used = pb.purchase_order(world.a, world.contact_a, "PO-USED", "2500")
    accept_on(as_user(world.contact_a), qb.sent_quote(world.a, world.rep_a), used)
    pb.purchase_order(world.a, world.contact_a, "PO-FINE", "90000")
    page = as_user(world.rep_a).get(reverse("purchase_orders:ledger", args=[world.a.number]))
    rows = {
        number: row
        for number, row in re.findall(r">(PO-[A-Z]+)</a>(.*?)</tr>", page.content.decode(), re.S)
    }
    assert "Expires within 30 days" in rows["PO-SOON"]
    assert "Over 90 % used" not in rows["PO-SOON"]
    assert "Over 90 % used" in rows["PO-USED"]
    assert "Expires within 30 days" not in rows["PO-USED"]
    assert "Expires within 30 days" not in rows["PO-FINE"] and "Over 90" not in rows["PO-FINE"]


def test_a_contact_creates_a_po_on_the_ledger(world, as_user):
    contact = as_user(world.contact_a)
    fields = {k.removeprefix("po_"): v for k, v in pb.new_po_fields("PO-7", "123.45").items()}
    response = contact.post(reverse("purchase_orders:create", args=[world.a.number]), fields)
    po = PurchaseOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("purchase_orders:detail", args=[po.pk])
    assert (po.number, po.amount, po.currency, po.created_from_acceptance) == (
        "PO-7",
        Decimal("123.45"),
        "USD",
        False,
    )
    # The same number twice is refused with a message
    before = db_snapshot()
    again = contact.post(reverse("purchase_orders:create", args=[world.a.number]), fields)
    assert again.status_code == 400
    assert "Your account already has a purchase order PO-7." in html.unescape(
        again.content.decode()
    )
    assert db_snapshot() == before


def test_an_amount_with_too_many_decimals_is_refused(world, as_user):
    fields = {k.removeprefix("po_"): v for k, v in pb.new_po_fields("PO-8", "10.001").items()}
    contact = as_user(world.contact_a)
    before = db_snapshot()
    response = contact.post(reverse("purchase_orders:create", args=[world.a.number]), fields)
    assert response.status_code == 400
    assert "USD amounts have 2 decimal places." in response.content.decode()
    assert db_snapshot() == before


def test_the_review_task_is_offered_only_to_reviewers_of_the_account(world, po, as_user):
    propose(as_user(world.contact_a), po)
    assert Task.objects.filter(flow_task=POChangeFlow.review, status=STATUS.NEW).count() == 1
    for role in ("rep_b", "deal_desk", "member_a", "contact_b"):
        assert inbox(as_user(getattr(world, role))) == [], role


# --- withdrawn, and rights checked again when a step is executed -----------------------------


def test_a_change_in_conflict_can_be_withdrawn(world, po, as_user):
    contact, rep = as_user(world.contact_a), as_user(world.rep_a)
    propose(contact, po, amount="12000")
    propose(contact, po, amount="15000")
    first, second = PurchaseOrderChange.objects.order_by("id")
    review(rep, first, "approve")
    review(rep, second, "approve")
    page = contact.post(
        reverse("workflows:po_change_conflict", args=[second.pk]),
        {"decision": "withdraw"},
        follow=True,
    )
    assert alerts(page) == [("success", "Withdrawn: the purchase order stays as it is.")]
    second.refresh_from_db()
    po.refresh_from_db()
    assert second.status == ChangeStatus.WITHDRAWN
    assert (po.amount, po.version) == (Decimal("12000"), 2)
    assert POChangeProcess.objects.get(change=second).status == PROCESS.DONE
    assert inbox(contact) == []


def test_a_representative_removed_from_the_account_can_no_longer_decide(world, po, as_user):
    from contacts import services as contact_services
    from contacts.models import Membership

    propose(as_user(world.contact_a), po, amount="12000")
    change = PurchaseOrderChange.objects.get()
    rep = as_user(world.rep_a)
    assert inbox(rep) == [(REVIEW_LABEL, "PO-100")]
    # When the representative is taken off the account after the task was offered
    contact_services.membership_remove(
        membership=Membership.objects.get(account=world.a, user=world.rep_a)
    )
    world.rep_a.refresh_from_db()
    rep = as_user(world.rep_a)  # their sessions were ended: they sign in again
    before = db_snapshot()
    response = rep.post(
        reverse("workflows:po_change_review", args=[change.pk]), {"decision": "approve"}
    )
    # Then approving is the same 404 as a missing change, and nothing changed
    assert response.status_code == 404
    assert db_snapshot() == before
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING
