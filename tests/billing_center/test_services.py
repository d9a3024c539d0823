"""The Billing Center's services: what each change does, when it takes effect, what it charges,
and that it is audited with before/after values and mailed to the billing contacts.

The account is in America/Chicago, billed in USD; the plan's product costs 20.00 a seat a month
and 200.00 a seat a year.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditAction, AuditEvent
from billing_center import pricing, services
from billing_center.models import (
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PaymentMethod,
    Subscription,
    SubscriptionStatus,
)
from billing_center.policy import Action, BillingConflict, allowed_actions
from billing_center.processor import CardRefused
from outbox.models import OutgoingMail

from .builders import VISA_DECLINES, add_card, add_plan, at, card, plan_product

MARCH_10 = date(2026, 3, 10)
MARCH_25 = date(2026, 3, 25)
APRIL_10 = date(2026, 4, 10)


def _contacts(ss):
    return sorted([ss.contact.email, ss.contact2.email])


def _mails(subject_part):
    return [m for m in OutgoingMail.objects.order_by("id") if subject_part in m.subject]


@pytest.fixture
def plan(ss):
    # Given a card on file and 5 monthly seats bought on 10 March 2026
    add_card(ss.account, ss.contact)
    return add_plan(ss.account, ss.contact, quantity=5, now=at(MARCH_10, ss.account))


def _seats(ss, sub, quantity, day):
    now = at(day, ss.account)
    preview = pricing.seats_preview(subscription=sub, quantity=quantity, today=day)
    invoice = services.subscription_change_seats(
        actor=ss.contact,
        subscription=sub,
        quantity=quantity,
        charge_now=preview.charge_now,
        effective_on=preview.effective_on,
        now=now,
    )
    return preview, invoice


def _frequency(ss, sub, frequency):
    preview = pricing.frequency_preview(subscription=sub, frequency=frequency)
    services.subscription_change_frequency(
        actor=ss.contact,
        subscription=sub,
        billing_frequency=frequency,
        period_price_after=preview.period_price_after,
        effective_on=preview.effective_on,
    )
    return preview


def _renew(sub, day):
    return services.subscription_renew(subscription=sub, today=day)


def test_a_new_plan_is_charged_its_first_period_and_invoiced(ss, plan):
    # Then the plan runs from today for a month, and its first period was charged on its invoice
    assert (plan.quantity, plan.billing_frequency, plan.unit_price) == (5, "monthly", 20)
    assert (plan.period_start, plan.period_end) == (MARCH_10, APRIL_10)
    invoice = Invoice.objects.get(subscription=plan)
    assert invoice.kind == InvoiceKind.NEW_PLAN
    assert (invoice.subtotal, invoice.tax, invoice.total) == (Decimal("100"), 0, Decimal("100"))
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_with == "Visa •••• 4242"
    # And the invoice is addressed to the primary contact's billing User ID
    assert invoice.billed_to_login == "owner@initech.example"
    assert invoice.number.startswith("INV-2026-")
    # And the change was audited and mailed to every billing contact, the invoice with its PDF
    event = AuditEvent.objects.get(action=AuditAction.PLAN_ADDED)
    assert event.after["seats"] == 5 and event.after["charged"] == "100.00"
    assert event.actor == ss.contact and event.account == ss.account
    (changed,) = _mails("Plan added")
    assert sorted(changed.to) == _contacts(ss)
    (mailed,) = _mails(f"Invoice {invoice.number}")
    assert mailed.attachments.get().filename == f"{invoice.number}.pdf"


def test_more_seats_are_charged_at_once_prorated_on_their_own_invoice(ss, plan):
    # When 3 seats are added on 25 March: 16 of the period's 31 days are left
    preview, invoice = _seats(ss, plan, 8, MARCH_25)
    # Then 3 × 20.00 × 16 / 31 = 30.967… is charged, rounded half-up once: 30.97
    assert (preview.days_left, preview.days_in_period) == (16, 31)
    assert preview.charge_now == Decimal("30.97")
    assert invoice.kind == InvoiceKind.PRORATION
    assert invoice.total == preview.charge_now and invoice.status == InvoiceStatus.PAID
    assert [(line.quantity, line.amount) for line in invoice.lines.all()] == [(3, Decimal("30.97"))]
    assert (invoice.period_start, invoice.period_end) == (MARCH_25, APRIL_10)
    plan.refresh_from_db()
    assert plan.quantity == 8 and not plan.has_pending_change
    event = AuditEvent.objects.get(action=AuditAction.PLAN_SEATS_ADDED)
    assert (event.before["seats"], event.after["seats"]) == (5, 8)
    assert event.after["charged"] == "30.97"
    assert _mails("Seats increased to 8")


def test_fewer_seats_wait_for_the_renewal_and_can_be_withdrawn(ss, plan):
    # When the seats are reduced to 2
    preview, invoice = _seats(ss, plan, 2, MARCH_25)
    # Then nothing is charged, the change waits for 10 April, and the plan keeps 5 seats now
    assert invoice is None
    assert (preview.charge_now, preview.effective_on) == (Decimal("0.00"), APRIL_10)
    plan.refresh_from_db()
    assert (plan.quantity, plan.pending_quantity) == (5, 2)
    assert Action.WITHDRAW_CHANGE in allowed_actions(ss.contact, plan)
    assert Action.ADD_SEATS not in allowed_actions(ss.contact, plan)
    event = AuditEvent.objects.get(action=AuditAction.PLAN_CHANGE_SCHEDULED)
    assert (event.before["pending_seats"], event.after["pending_seats"]) == (None, 2)
    # When it is withdrawn
    services.subscription_withdraw_change(actor=ss.contact, subscription=plan)
    # Then the plan renews as it was
    plan.refresh_from_db()
    assert plan.pending_quantity is None
    _renew(plan, APRIL_10)
    assert Invoice.objects.get(subscription=plan, kind=InvoiceKind.RENEWAL).total == 100
    assert AuditEvent.objects.filter(action=AuditAction.PLAN_CHANGE_WITHDRAWN).count() == 1
    assert _mails("Scheduled change withdrawn")


def test_fewer_seats_are_applied_at_the_renewal(ss, plan):
    _seats(ss, plan, 2, MARCH_25)
    # When the plan renews on 10 April
    outcome = _renew(plan, APRIL_10)
    # Then the new period is for 2 seats
    plan.refresh_from_db()
    assert (plan.quantity, plan.pending_quantity) == (2, None)
    (number,) = outcome.invoices
    assert Invoice.objects.get(number=number).total == Decimal("40.00")


def test_a_frequency_change_is_applied_at_the_right_renewal_and_not_before(ss, plan):
    # When the plan is switched to annual billing on 25 March
    preview = _frequency(ss, plan, "annually")
    # Then the preview gives the new price per period and the date
    assert (preview.period_price_after, preview.effective_on) == (Decimal("1000.00"), APRIL_10)
    assert preview.charge_now == 0
    # And the day before the renewal, nothing happens
    assert _renew(plan, date(2026, 4, 9)).invoices == ()
    plan.refresh_from_db()
    assert plan.billing_frequency == "monthly" and plan.pending_billing_frequency == "annually"
    # On the renewal day it is billed annually, for a year, at the annual list price
    (number,) = _renew(plan, APRIL_10).invoices
    plan.refresh_from_db()
    assert (plan.billing_frequency, plan.unit_price) == ("annually", 200)
    assert (plan.period_start, plan.period_end) == (APRIL_10, date(2027, 4, 10))
    assert Invoice.objects.get(number=number).total == Decimal("1000.00")
    assert not plan.has_pending_change
    # And the following month nothing is renewed
    assert _renew(plan, date(2026, 5, 10)).invoices == ()


def test_renewing_twice_creates_one_invoice(ss, plan):
    first = _renew(plan, APRIL_10)
    second = _renew(Subscription.objects.get(pk=plan.pk), APRIL_10)
    assert len(first.invoices) == 1 and second.invoices == ()
    assert Invoice.objects.filter(subscription=plan, kind=InvoiceKind.RENEWAL).count() == 1


def test_missed_renewals_are_invoiced_one_period_each(ss, plan):
    outcome = _renew(plan, date(2026, 6, 15))
    assert len(outcome.invoices) == 3  # 10 April, 10 May, 10 June
    periods = list(
        Invoice.objects.filter(kind=InvoiceKind.RENEWAL)
        .order_by("period_start")
        .values_list("period_start", flat=True)
    )
    assert periods == [APRIL_10, date(2026, 5, 10), date(2026, 6, 10)]


def test_a_declined_renewal_leaves_the_invoice_due_and_tells_the_contacts(ss, plan):
    # Given the default card now declines
    add_card(ss.account, ss.contact, VISA_DECLINES)
    # When the plan renews
    outcome = _renew(plan, APRIL_10)
    # Then the invoice is due, the renewal happened, and the billing contacts were told
    (number,) = outcome.declined
    invoice = Invoice.objects.get(number=number)
    assert invoice.status == InvoiceStatus.DUE and invoice.paid_at is None
    assert invoice.last_decline == "The card was declined."
    (declined,) = _mails(f"Payment declined for invoice {number}")
    assert sorted(declined.to) == _contacts(ss)
    assert AuditEvent.objects.filter(action=AuditAction.INVOICE_PAYMENT_DECLINED).count() == 1
    # When a working card is added and the invoice paid from the billing history
    add_card(ss.account, ss.contact)
    services.invoice_pay(actor=ss.contact, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_with == "Visa •••• 4242"
    # And it cannot be paid twice
    with pytest.raises(BillingConflict):
        services.invoice_pay(actor=ss.contact, invoice=invoice)


def test_a_declined_immediate_charge_changes_nothing(ss, plan):
    add_card(ss.account, ss.contact, VISA_DECLINES)
    invoices = Invoice.objects.count()
    with pytest.raises(BillingConflict, match="declined"):
        _seats(ss, plan, 8, MARCH_25)
    plan.refresh_from_db()
    assert plan.quantity == 5 and Invoice.objects.count() == invoices


def test_a_stale_preview_is_refused(ss, plan):
    # Given the preview shown on 25 March
    preview = pricing.seats_preview(subscription=plan, quantity=8, today=MARCH_25)
    # When it is confirmed a day later (fewer days left: a smaller charge)
    with pytest.raises(BillingConflict, match="no longer the one you confirmed"):
        services.subscription_change_seats(
            actor=ss.contact,
            subscription=plan,
            quantity=8,
            charge_now=preview.charge_now,
            effective_on=preview.effective_on,
            now=at(date(2026, 3, 26), ss.account),
        )
    plan.refresh_from_db()
    assert plan.quantity == 5


def test_no_card_no_immediate_charge(ss):
    with pytest.raises(BillingConflict, match="Add a payment method"):
        add_plan(ss.account, ss.contact, now=at(MARCH_10, ss.account))
    assert not Subscription.objects.exists() and not Invoice.objects.exists()


def test_cancel_at_end_of_term_undo_and_end(ss, plan):
    # When the plan is cancelled, then the cancellation undone, then cancelled again
    services.subscription_cancel(actor=ss.contact, subscription=plan)
    plan.refresh_from_db()
    assert plan.status == SubscriptionStatus.CANCELS_AT_PERIOD_END
    assert allowed_actions(ss.contact, plan) == {Action.UNDO_CANCEL}
    services.subscription_undo_cancel(actor=ss.contact, subscription=plan)
    plan.refresh_from_db()
    assert plan.status == SubscriptionStatus.ACTIVE
    services.subscription_cancel(actor=ss.contact, subscription=plan)
    # Then at the end of the term it ends, with no invoice
    outcome = _renew(plan, APRIL_10)
    plan.refresh_from_db()
    assert outcome.ended and outcome.invoices == ()
    assert plan.status == SubscriptionStatus.CANCELLED
    assert not Invoice.objects.filter(kind=InvoiceKind.RENEWAL).exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="plan.cancel")] == [
        AuditAction.PLAN_CANCEL_SCHEDULED,
        AuditAction.PLAN_CANCEL_UNDONE,
        AuditAction.PLAN_CANCEL_SCHEDULED,
    ]
    assert AuditEvent.objects.filter(action=AuditAction.PLAN_ENDED).count() == 1


@pytest.mark.parametrize("who", ["member", "rep", "other_contact"])
def test_only_the_accounts_billing_contacts_may_change_it(ss, plan, who):
    actor = getattr(ss, who)
    before = list(Subscription.objects.values())
    with pytest.raises(PermissionDenied):
        services.subscription_cancel(actor=actor, subscription=plan)
    with pytest.raises(PermissionDenied):
        services.payment_method_add(actor=actor, account=ss.account, card=card())
    assert list(Subscription.objects.values()) == before
    assert PaymentMethod.objects.count() == 1


def test_one_default_card_the_default_cannot_be_removed(ss):
    first = add_card(ss.account, ss.contact)
    second = add_card(ss.account, ss.contact, "5555555555554444")
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    assert (second.brand, second.last4) == ("Mastercard", "4444")
    with pytest.raises(BillingConflict):
        services.payment_method_remove(actor=ss.contact, method=second)
    services.payment_method_make_default(actor=ss.contact, method=first)
    services.payment_method_remove(actor=ss.contact, method=second)
    assert list(PaymentMethod.objects.values_list("last4", "is_default")) == [("4242", True)]
    actions = list(
        AuditEvent.objects.filter(action__startswith="payment_method")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        AuditAction.PAYMENT_METHOD_ADDED,
        AuditAction.PAYMENT_METHOD_ADDED,
        AuditAction.PAYMENT_METHOD_DEFAULT,
        AuditAction.PAYMENT_METHOD_REMOVED,
    ]


def test_a_refused_card_stores_nothing(ss):
    with pytest.raises(CardRefused):
        services.payment_method_add(
            actor=ss.contact, account=ss.account, card=card("4000000000000127")
        )
    assert not PaymentMethod.objects.exists()


def test_a_month_end_plan_keeps_its_day(ss):
    add_card(ss.account, ss.contact)
    sub = add_plan(ss.account, ss.contact, now=at(date(2026, 1, 31), ss.account))
    assert sub.period_end == date(2026, 2, 28)
    _renew(sub, date(2026, 2, 28))
    sub.refresh_from_db()
    assert (sub.period_start, sub.period_end) == (date(2026, 2, 28), date(2026, 3, 31))


def _plan(ss, sub, product, day):
    preview = pricing.plan_preview(subscription=sub, product=product, today=day)
    invoice = services.subscription_change_plan(
        actor=ss.contact,
        subscription=sub,
        product=product,
        charge_now=preview.charge_now,
        effective_on=preview.effective_on,
        now=at(day, ss.account),
    )
    return preview, invoice


def test_a_dearer_plan_takes_effect_at_once_prorated(ss, plan):
    pro = plan_product(sku="OV-BC-PRO", name="OpenVoice Pro", USD_monthly="32.00")
    preview, invoice = _plan(ss, plan, pro, MARCH_25)
    # 5 seats × 12.00 more × 16 / 31 days = 30.967… → 30.97, on its own invoice, paid
    assert preview.action == Action.UPGRADE_PLAN
    assert invoice.total == preview.charge_now == Decimal("30.97")
    assert invoice.kind == InvoiceKind.PRORATION and invoice.status == InvoiceStatus.PAID
    plan.refresh_from_db()
    assert (plan.product, plan.unit_price, plan.quantity) == (pro, 32, 5)
    event = AuditEvent.objects.get(action=AuditAction.PLAN_UPGRADED)
    assert (event.before["product"], event.after["product"]) == ("OV-BC-STD", "OV-BC-PRO")
    # And the next renewal is at the new price
    (number,) = _renew(plan, APRIL_10).invoices
    assert Invoice.objects.get(number=number).total == Decimal("160.00")


def test_a_cheaper_plan_waits_for_the_renewal(ss, plan):
    lite = plan_product(sku="OV-BC-LITE", name="OpenVoice Lite", USD_monthly="12.50")
    preview, invoice = _plan(ss, plan, lite, MARCH_25)
    assert invoice is None and preview.action == Action.DOWNGRADE_PLAN
    assert (preview.charge_now, preview.effective_on) == (0, APRIL_10)
    assert preview.period_price_after == Decimal("62.50")
    plan.refresh_from_db()
    assert plan.product != lite and plan.pending_product == lite
    assert _renew(plan, date(2026, 4, 9)).invoices == ()
    (number,) = _renew(plan, APRIL_10).invoices
    plan.refresh_from_db()
    assert (plan.product, plan.unit_price, plan.pending_product) == (lite, Decimal("12.50"), None)
    assert Invoice.objects.get(number=number).total == Decimal("62.50")
