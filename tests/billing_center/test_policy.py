"""The Billing Center's status tables: who may do what to a plan, an invoice and a card, in
which state; and that no view or template decides what to show by a status of its own."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from billing_center import policy
from billing_center.models import Invoice, InvoiceStatus, SubscriptionStatus
from billing_center.policy import Action, BillingConflict, allowed_actions

from .builders import add_card, add_plan

ROOT = Path(__file__).resolve().parents[2]
S = SubscriptionStatus


def test_every_row_names_real_states_and_actions():
    states = {
        *S.values,
        policy.CHANGE_PENDING,
        *InvoiceStatus.values,
        policy.DEFAULT,
        policy.ON_FILE,
        "removed",
    }
    for row in policy.TRANSITIONS:
        assert row.source in states and row.target in states, row
        assert isinstance(row.action, Action)
        assert row.right in (policy.SYSTEM, policy.MANAGE)
    # Every action but the job's is a customer's own (billing contacts hold manage_billing)
    people = {t.action for t in policy.TRANSITIONS if t.right}
    assert Action.RENEW not in people and Action.END not in people


def _set(sub, **fields):
    for name, value in fields.items():
        setattr(sub, name, value)
    sub.save()
    return sub


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (
            {},
            {
                Action.ADD_SEATS,
                Action.REDUCE_SEATS,
                Action.CHANGE_FREQUENCY,
                Action.UPGRADE_PLAN,
                Action.DOWNGRADE_PLAN,
                Action.CANCEL,
            },
        ),
        ({"pending_quantity": 2}, {Action.WITHDRAW_CHANGE, Action.CANCEL}),
        ({"status": S.CANCELS_AT_PERIOD_END}, {Action.UNDO_CANCEL}),
        ({"status": S.CANCELLED}, set()),
    ],
)
def test_a_contact_may_do_by_state_and_others_nothing(ss, state, expected):
    add_card(ss.account, ss.contact)
    sub = _set(add_plan(ss.account, ss.contact), **state)
    assert allowed_actions(ss.contact, sub) == expected
    for other in (ss.member, ss.rep, ss.other_contact):
        assert allowed_actions(other, sub) == frozenset()


def test_the_right_is_checked_before_the_state(ss):
    add_card(ss.account, ss.contact)
    sub = _set(add_plan(ss.account, ss.contact), status=S.CANCELLED)
    with pytest.raises(PermissionDenied):
        policy.require(ss.rep, Action.UNDO_CANCEL, sub)
    with pytest.raises(BillingConflict, match="cancelled"):
        policy.require(ss.contact, Action.UNDO_CANCEL, sub)
    # and the renewal job holds no person's rights, nor a person the job's
    with pytest.raises(PermissionDenied):
        policy.require(None, Action.CANCEL, sub)
    with pytest.raises(PermissionDenied):
        policy.require(ss.contact, Action.RENEW, sub)


def test_a_paid_invoice_cannot_be_paid_the_default_card_cannot_be_removed(ss):
    card = add_card(ss.account, ss.contact)
    add_plan(ss.account, ss.contact)
    invoice = Invoice.objects.get()
    assert allowed_actions(ss.contact, invoice) == frozenset()
    assert allowed_actions(ss.contact, card) == frozenset()
    spare = add_card(ss.account, ss.contact, "5555555555554444")
    card.refresh_from_db()
    assert allowed_actions(ss.contact, card) == {Action.MAKE_DEFAULT, Action.REMOVE}
    assert allowed_actions(ss.contact, spare) == frozenset()


STATUS_WORDS = re.compile(r"\b(active|cancels_at_period_end|cancelled|due|paid)\b['\"]")


def test_no_billing_center_view_or_template_compares_a_status():
    sources = [
        ROOT / "billing_center" / "views.py",
        *(ROOT / "templates" / "billing_center").rglob("*.html"),
    ]
    for source in sources:
        text = source.read_text()
        assert ".status ==" not in text and ".status !=" not in text, source
        assert "Status." not in text, source  # no InvoiceStatus.PAID / SubscriptionStatus.X
        assert not STATUS_WORDS.search(text), source
