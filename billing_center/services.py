"""Writes for the Billing Center. Keyword-only, atomic, audited; mail leaves on commit.

Each function is one whole step: it locks the plan (or invoice, or the account's cards), asks
``policy.require`` whether the actor may do it now (the right on the account first, then the
status table), recomputes the preview the customer confirmed and refuses unless it is the same,
writes with ``update_fields``, records the audit event with before and after values, and tells the
account's billing contacts. Reads live in ``selectors`` and ``pricing``.

Card numbers and security codes reach ``payment_method_add`` only, which hands them to the
payment processor and keeps its token, the brand, the last four digits and the expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from contacts.models import Account, Membership, MembershipRole, User
from quotes.models import Product
from quotes.money import format_money, round_money

from . import notifications, periods, policy, pricing
from .models import (
    Frequency,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    PaymentMethod,
    Subscription,
    SubscriptionStatus,
)
from .policy import Action, BillingConflict
from .pricing import seats
from .processor import CardDetails, get_processor

__all__ = ["BillingConflict", "RenewalOutcome"]


# --- helpers -------------------------------------------------------------------------------------


def _lock(subscription: Subscription) -> Subscription:
    return (
        Subscription.objects.select_for_update()
        .select_related("account", "product")
        .get(pk=subscription.pk)
    )


def _plan_state(sub: Subscription) -> dict[str, Any]:
    """A plan as the audit trail records it (amounts as strings: JSON has no decimals)."""
    return {
        "product": sub.product.sku,
        "seats": sub.quantity,
        "billing_frequency": sub.billing_frequency,
        "unit_price": str(round_money(sub.unit_price, sub.currency)),
        "currency": sub.currency,
        "period": [sub.period_start.isoformat(), sub.period_end.isoformat()],
        "status": sub.status,
        "pending_product": sub.pending_product.sku if sub.pending_product else None,
        "pending_seats": sub.pending_quantity,
        "pending_billing_frequency": sub.pending_billing_frequency,
        "pending_unit_price": (
            str(round_money(sub.pending_unit_price, sub.currency))
            if sub.pending_unit_price is not None
            else None
        ),
    }


def _audit(
    action: AuditAction,
    *,
    actor: User | None,
    account: Account,
    obj: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
    request: HttpRequest | None = None,
) -> None:
    audit_record(
        action=action,
        actor=actor,
        account=account,
        obj=obj,
        before=before,
        after=after,
        message=message,
        request=request,
    )


def _money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


def _next_number(today: date) -> str:
    counter, _ = InvoiceCounter.objects.select_for_update().get_or_create(year=today.year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"INV-{today.year}-{counter.last:06d}"


def _addressee(account: Account) -> User | None:
    """The contact an invoice is addressed to: the primary billing contact (the first one, if
    the account has somehow none marked primary)."""
    membership = (
        Membership.objects.filter(account=account, role=MembershipRole.BILLING_CONTACT)
        .select_related("user")
        .order_by("-is_primary", "id")
        .first()
    )
    return membership.user if membership is not None else None


@dataclass(frozen=True)
class _Line:
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


def _issue_invoice(
    *,
    sub: Subscription,
    kind: str,
    issued_on: date,
    period_start: date,
    period_end: date,
    lines: list[_Line],
) -> Invoice:
    """A numbered invoice of rounded lines (the total is their sum: the one rounding rule)."""
    currency = sub.currency
    subtotal = sum((round_money(line.amount, currency) for line in lines), Decimal(0))
    tax = round_money(0, currency)  # no sales tax is configured for self-service plans
    to = _addressee(sub.account)
    invoice = Invoice.objects.create(
        number=_next_number(issued_on),
        account=sub.account,
        subscription=sub,
        kind=kind,
        issued_on=issued_on,
        period_start=period_start,
        period_end=period_end,
        currency=currency,
        subtotal=round_money(subtotal, currency),
        tax=tax,
        total=round_money(subtotal + tax, currency),
        billed_to_login=to.username if to else "",
        billed_to_name=to.display_name if to else "",
        billed_to_email=to.email if to else "",
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            description=line.description[:300],
            quantity=line.quantity,
            unit_price=round_money(line.unit_price, currency),
            amount=round_money(line.amount, currency),
        )
        for position, line in enumerate(lines, start=1)
    )
    return invoice


def _default_method(account: Account) -> PaymentMethod | None:
    return PaymentMethod.objects.filter(account=account, is_default=True).first()


def _charge(invoice: Invoice, method: PaymentMethod, now: datetime | None = None) -> str:
    """Charges ``invoice`` to ``method``; marks it paid and returns "" or returns the decline
    reason (the invoice stays due)."""
    result = get_processor().charge(
        token=method.processor_token,
        amount=invoice.total,
        currency=invoice.currency,
        idempotency_key=invoice.number,
    )
    if not result.succeeded:
        invoice.last_decline = result.decline_reason[:200]
        invoice.save(update_fields=["last_decline"])
        return result.decline_reason or "The card was declined."
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = now or timezone.now()
    invoice.paid_with = method.label
    invoice.payment_reference = result.reference[:100]
    invoice.last_decline = ""
    invoice.save(
        update_fields=["status", "paid_at", "paid_with", "payment_reference", "last_decline"]
    )
    return ""


def _charge_now_or_refuse(invoice: Invoice, now: datetime | None) -> None:
    """An immediate charge (new plan, more seats) is paid at once or the change does not
    happen: the caller's transaction is rolled back with the refusal."""
    method = _default_method(invoice.account)
    if method is None:
        raise BillingConflict("Add a payment method first; nothing was changed.")
    if invoice.total == 0:
        # Nothing to charge (the period ends today): the invoice is settled as it stands.
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = now or timezone.now()
        invoice.save(update_fields=["status", "paid_at"])
        return
    declined = _charge(invoice, method, now)
    if declined:
        raise BillingConflict(
            f"Your {method.label} was declined ({declined}). Nothing was changed or charged; "
            "update your payment information and try again."
        )


def _seat_line(
    sub: Subscription, quantity: int, start: date, end: date, unit_price: Decimal, frequency: str
) -> _Line:
    label = Frequency(frequency).label.lower()
    last = end.toordinal() - 1
    return _Line(
        description=(
            f"{sub.product.name} ({sub.product.sku}), {seats(quantity)}, billed {label}, "
            f"{start:%d %b %Y} – {date.fromordinal(last):%d %b %Y}"
        ),
        quantity=quantity,
        unit_price=unit_price,
        amount=periods.period_price(quantity, unit_price, sub.currency),
    )


PENDING_FIELDS = [
    "pending_product",
    "pending_quantity",
    "pending_billing_frequency",
    "pending_unit_price",
]


def _clear_pending(sub: Subscription) -> None:
    sub.pending_product = None
    sub.pending_quantity = None
    sub.pending_billing_frequency = ""
    sub.pending_unit_price = None


def _tell(account: Account, actor: User | None, summary: str, details: list[str]) -> None:
    notifications.plan_changed(
        account,
        actor_name=actor.display_name if actor is not None else "The renewal job",
        summary=summary,
        details=details,
    )


# --- plans -------------------------------------------------------------------------------------


@transaction.atomic
def subscription_add(
    *,
    actor: User,
    account: Account,
    product: Product,
    billing_frequency: str,
    quantity: int,
    charge_now: Decimal,
    effective_on: date,
    now: datetime | None = None,
    request: HttpRequest | None = None,
) -> Subscription:
    """A new plan from the price book, starting today; its first period is charged at once."""
    policy.require_create(actor, account)
    today = pricing.local_today(account, now)
    preview = pricing.new_plan_preview(
        account=account,
        product=product,
        frequency=billing_frequency,
        quantity=quantity,
        today=today,
    )
    pricing.require_confirmed(preview, charge_now=charge_now, effective_on=effective_on)
    sub = Subscription.objects.create(
        account=account,
        product=product,
        quantity=quantity,
        billing_frequency=billing_frequency,
        currency=account.currency,
        unit_price=preview.unit_price_after,
        anchor_day=today.day,
        period_start=preview.period_start,
        period_end=preview.period_end,
    )
    invoice = _issue_invoice(
        sub=sub,
        kind=InvoiceKind.NEW_PLAN,
        issued_on=today,
        period_start=sub.period_start,
        period_end=sub.period_end,
        lines=[
            _seat_line(
                sub, quantity, sub.period_start, sub.period_end, sub.unit_price, billing_frequency
            )
        ],
    )
    _charge_now_or_refuse(invoice, now)
    _audit(
        AuditAction.PLAN_ADDED,
        actor=actor,
        account=account,
        obj=sub,
        after={**_plan_state(sub), "invoice": invoice.number, "charged": str(invoice.total)},
        request=request,
    )
    _tell(
        account,
        actor,
        f"Plan added: {product.name}, {seats(quantity)}",
        [
            f"Charged now: {_money(invoice.total, sub.currency)} (invoice {invoice.number})",
            f"Renews on {sub.period_end:%d %B %Y}",
        ],
    )
    notifications.invoice_issued(invoice)
    return sub


@transaction.atomic
def subscription_change_seats(
    *,
    actor: User,
    subscription: Subscription,
    quantity: int,
    charge_now: Decimal,
    effective_on: date,
    now: datetime | None = None,
    request: HttpRequest | None = None,
) -> Invoice | None:
    """More seats: at once, the prorated difference invoiced and charged on its own invoice
    (returned). Fewer seats: a pending change for the next renewal (returns ``None``)."""
    sub = _lock(subscription)
    today = pricing.local_today(sub.account, now)
    # The action follows from the direction; the right is checked before anything is said.
    action = Action.ADD_SEATS if quantity > sub.quantity else Action.REDUCE_SEATS
    policy.require(actor, action, sub)
    preview = pricing.seats_preview(subscription=sub, quantity=quantity, today=today)
    pricing.require_confirmed(preview, charge_now=charge_now, effective_on=effective_on)
    before = _plan_state(sub)
    currency = sub.currency
    if action == Action.REDUCE_SEATS:
        sub.pending_quantity = quantity
        sub.save(update_fields=["pending_quantity"])
        _audit(
            AuditAction.PLAN_CHANGE_SCHEDULED,
            actor=actor,
            account=sub.account,
            obj=sub,
            before=before,
            after=_plan_state(sub),
            request=request,
            message=f"{sub.quantity} → {seats(quantity)} from {sub.period_end}",
        )
        _tell(
            sub.account,
            actor,
            f"Seats reduced to {quantity} from the next renewal",
            [
                f"{sub.product.name}: {seats(sub.quantity)} until {sub.period_end:%d %B %Y}, then "
                f"{seats(quantity)} at {_money(preview.period_price_after, currency)} per period",
                "Nothing is charged now; the change can be withdrawn until then.",
            ],
        )
        return None
    added = quantity - sub.quantity
    invoice = _issue_invoice(
        sub=sub,
        kind=InvoiceKind.PRORATION,
        issued_on=today,
        period_start=today,
        period_end=sub.period_end,
        lines=[
            _Line(
                description=(
                    f"{sub.product.name} ({sub.product.sku}): "
                    f"{added} more {'seat' if added == 1 else 'seats'} "
                    f"({sub.quantity} → {quantity}) for {preview.days_left} of "
                    f"{preview.days_in_period} days of the period ending "
                    f"{date.fromordinal(sub.period_end.toordinal() - 1):%d %b %Y}"
                ),
                quantity=added,
                unit_price=sub.unit_price,
                amount=preview.charge_now,
            )
        ],
    )
    sub.quantity = quantity
    sub.save(update_fields=["quantity"])
    _charge_now_or_refuse(invoice, now)
    _audit(
        AuditAction.PLAN_SEATS_ADDED,
        actor=actor,
        account=sub.account,
        obj=sub,
        before=before,
        after={**_plan_state(sub), "invoice": invoice.number, "charged": str(invoice.total)},
        request=request,
    )
    _tell(
        sub.account,
        actor,
        f"Seats increased to {quantity}",
        [
            f"{sub.product.name}: {before['seats']} → {seats(quantity)} from today",
            f"Charged now: {_money(invoice.total, currency)} for the {preview.days_left} days left "
            f"of the period (invoice {invoice.number})",
            f"From {sub.period_end:%d %B %Y}: {_money(preview.period_price_after, currency)} per "
            "period",
        ],
    )
    notifications.invoice_issued(invoice)
    return invoice


@transaction.atomic
def subscription_change_plan(
    *,
    actor: User,
    subscription: Subscription,
    product: Product,
    charge_now: Decimal,
    effective_on: date,
    now: datetime | None = None,
    request: HttpRequest | None = None,
) -> Invoice | None:
    """Another product for the plan's seats. Dearer: at once, the prorated difference on its own
    invoice (returned). Not dearer: a pending change for the next renewal (returns ``None``)."""
    sub = _lock(subscription)
    today = pricing.local_today(sub.account, now)
    preview = pricing.plan_preview(subscription=sub, product=product, today=today)
    policy.require(actor, preview.action, sub)
    pricing.require_confirmed(preview, charge_now=charge_now, effective_on=effective_on)
    before = _plan_state(sub)
    currency = sub.currency
    old_name = sub.product.name
    if preview.action == Action.DOWNGRADE_PLAN:
        sub.pending_product = product
        sub.pending_unit_price = preview.unit_price_after
        sub.save(update_fields=["pending_product", "pending_unit_price"])
        _audit(
            AuditAction.PLAN_CHANGE_SCHEDULED,
            actor=actor,
            account=sub.account,
            obj=sub,
            before=before,
            after=_plan_state(sub),
            request=request,
            message=f"{sub.product.sku} → {product.sku} from {sub.period_end}",
        )
        _tell(
            sub.account,
            actor,
            f"Plan changes to {product.name} at the next renewal",
            [
                f"{old_name} until {sub.period_end:%d %B %Y}, then {product.name} at "
                f"{_money(preview.period_price_after, currency)} per period",
                "Nothing is charged now; the change can be withdrawn until then.",
            ],
        )
        return None
    invoice = _issue_invoice(
        sub=sub,
        kind=InvoiceKind.PRORATION,
        issued_on=today,
        period_start=today,
        period_end=sub.period_end,
        lines=[
            _Line(
                description=(
                    f"{old_name} → {product.name} ({product.sku}), {seats(sub.quantity)}, for "
                    f"{preview.days_left} of {preview.days_in_period} days of the period ending "
                    f"{date.fromordinal(sub.period_end.toordinal() - 1):%d %b %Y}"
                ),
                quantity=sub.quantity,
                unit_price=preview.unit_price_after - sub.unit_price,
                amount=preview.charge_now,
            )
        ],
    )
    sub.product = product
    sub.unit_price = preview.unit_price_after
    sub.save(update_fields=["product", "unit_price"])
    _charge_now_or_refuse(invoice, now)
    _audit(
        AuditAction.PLAN_UPGRADED,
        actor=actor,
        account=sub.account,
        obj=sub,
        before=before,
        after={**_plan_state(sub), "invoice": invoice.number, "charged": str(invoice.total)},
        request=request,
    )
    _tell(
        sub.account,
        actor,
        f"Plan changed to {product.name}",
        [
            f"{old_name} → {product.name} from today, {seats(sub.quantity)}",
            f"Charged now: {_money(invoice.total, currency)} for the {preview.days_left} days left "
            f"of the period (invoice {invoice.number})",
            f"From {sub.period_end:%d %B %Y}: {_money(preview.period_price_after, currency)} per "
            "period",
        ],
    )
    notifications.invoice_issued(invoice)
    return invoice


@transaction.atomic
def subscription_change_frequency(
    *,
    actor: User,
    subscription: Subscription,
    billing_frequency: str,
    period_price_after: Decimal,
    effective_on: date,
    request: HttpRequest | None = None,
) -> Subscription:
    """Another billing frequency from the next renewal, at that frequency's list price."""
    sub = _lock(subscription)
    policy.require(actor, Action.CHANGE_FREQUENCY, sub)
    preview = pricing.frequency_preview(subscription=sub, frequency=billing_frequency)
    if preview.period_price_after != period_price_after or preview.effective_on != effective_on:
        raise BillingConflict(
            "The price or date of this change is no longer the one you confirmed; nothing was "
            "changed. Review the new figures and confirm again."
        )
    before = _plan_state(sub)
    sub.pending_billing_frequency = billing_frequency
    sub.pending_unit_price = preview.unit_price_after
    sub.save(update_fields=["pending_billing_frequency", "pending_unit_price"])
    _audit(
        AuditAction.PLAN_CHANGE_SCHEDULED,
        actor=actor,
        account=sub.account,
        obj=sub,
        before=before,
        after=_plan_state(sub),
        request=request,
        message=f"billed {billing_frequency} from {sub.period_end}",
    )
    _tell(
        sub.account,
        actor,
        f"Billing frequency changes to {preview.frequency_after_label.lower()} at renewal",
        [
            f"{sub.product.name}, {seats(sub.quantity)}: "
            f"{_money(preview.period_price_before, sub.currency)} "
            f"{preview.frequency_before_label.lower()} until {sub.period_end:%d %B %Y}, then "
            f"{_money(preview.period_price_after, sub.currency)} "
            f"{preview.frequency_after_label.lower()}",
            "Nothing is charged now; the change can be withdrawn until then.",
        ],
    )
    return sub


@transaction.atomic
def subscription_withdraw_change(
    *, actor: User, subscription: Subscription, request: HttpRequest | None = None
) -> Subscription:
    sub = _lock(subscription)
    policy.require(actor, Action.WITHDRAW_CHANGE, sub)
    before = _plan_state(sub)
    _clear_pending(sub)
    sub.save(update_fields=PENDING_FIELDS)
    _audit(
        AuditAction.PLAN_CHANGE_WITHDRAWN,
        actor=actor,
        account=sub.account,
        obj=sub,
        before=before,
        after=_plan_state(sub),
        request=request,
    )
    _tell(
        sub.account,
        actor,
        f"Scheduled change withdrawn: {sub.product.name}",
        [
            f"The plan renews on {sub.period_end:%d %B %Y} as it is: {seats(sub.quantity)}, "
            f"billed {Frequency(sub.billing_frequency).label.lower()}."
        ],
    )
    return sub


@transaction.atomic
def subscription_cancel(
    *, actor: User, subscription: Subscription, request: HttpRequest | None = None
) -> Subscription:
    """The plan runs to the end of its term and then stops; a pending change is dropped."""
    sub = _lock(subscription)
    row = policy.require(actor, Action.CANCEL, sub)
    before = _plan_state(sub)
    sub.status = row.target
    _clear_pending(sub)
    sub.save(update_fields=["status", *PENDING_FIELDS])
    _audit(
        AuditAction.PLAN_CANCEL_SCHEDULED,
        actor=actor,
        account=sub.account,
        obj=sub,
        before=before,
        after=_plan_state(sub),
        request=request,
    )
    _tell(
        sub.account,
        actor,
        f"Plan set to cancel: {sub.product.name}",
        [
            f"The plan ends on {sub.period_end:%d %B %Y} and will not renew.",
            "You can undo this until then.",
        ],
    )
    return sub


@transaction.atomic
def subscription_undo_cancel(
    *, actor: User, subscription: Subscription, request: HttpRequest | None = None
) -> Subscription:
    sub = _lock(subscription)
    row = policy.require(actor, Action.UNDO_CANCEL, sub)
    before = _plan_state(sub)
    sub.status = row.target
    sub.save(update_fields=["status"])
    _audit(
        AuditAction.PLAN_CANCEL_UNDONE,
        actor=actor,
        account=sub.account,
        obj=sub,
        before=before,
        after=_plan_state(sub),
        request=request,
    )
    _tell(
        sub.account,
        actor,
        f"Cancellation undone: {sub.product.name}",
        [f"The plan renews on {sub.period_end:%d %B %Y}."],
    )
    return sub


# --- renewals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenewalOutcome:
    subscription_id: int
    invoices: tuple[str, ...] = ()
    declined: tuple[str, ...] = ()
    ended: bool = False


def subscription_renew(*, subscription: Subscription, today: date) -> RenewalOutcome:
    """Renews ``subscription`` for every period that has begun by ``today`` (the account's local
    date), one invoice each, applying a pending change at the renewal it waits for. A plan set to
    cancel ends instead. Nothing is due: nothing happens, so running it twice creates nothing
    twice. Each renewal is its own transaction, so one declined card does not undo another's."""
    invoices: list[str] = []
    declined: list[str] = []
    collisions = 0
    while True:
        try:
            with transaction.atomic():
                step = _renew_once(subscription=subscription, today=today)
        except IntegrityError:
            # Another run renewed this period at the same moment (the unique renewal
            # constraint): it is done, and the loop reads the plan again. Twice in a row is not
            # a race but a fault: let it be seen.
            collisions += 1
            if collisions > 1:
                raise
            continue
        collisions = 0
        if step is None:
            break
        kind, number, decline = step
        if kind == "ended":
            return RenewalOutcome(subscription.pk, tuple(invoices), tuple(declined), ended=True)
        invoices.append(number)
        if decline:
            declined.append(number)
    return RenewalOutcome(subscription.pk, tuple(invoices), tuple(declined))


def _renew_once(*, subscription: Subscription, today: date) -> tuple[str, str, str] | None:
    sub = _lock(subscription)
    if sub.period_end > today or sub.status == SubscriptionStatus.CANCELLED:
        return None
    before = _plan_state(sub)
    if sub.status == SubscriptionStatus.CANCELS_AT_PERIOD_END:
        row = policy.require(None, Action.END, sub)
        sub.status = row.target
        sub.cancelled_at = timezone.now()
        sub.save(update_fields=["status", "cancelled_at"])
        _audit(
            AuditAction.PLAN_ENDED,
            actor=None,
            account=sub.account,
            obj=sub,
            before=before,
            after=_plan_state(sub),
        )
        _tell(
            sub.account,
            None,
            f"Plan cancelled: {sub.product.name}",
            [f"The plan ended on {sub.period_end:%d %B %Y} as requested."],
        )
        return ("ended", "", "")
    policy.require(None, Action.RENEW, sub)
    if sub.pending_quantity is not None:
        sub.quantity = sub.pending_quantity
    if sub.pending_product is not None:
        assert sub.pending_unit_price is not None
        sub.product = sub.pending_product
        sub.unit_price = sub.pending_unit_price
    if sub.pending_billing_frequency:
        sub.billing_frequency = sub.pending_billing_frequency
        assert sub.pending_unit_price is not None
        sub.unit_price = sub.pending_unit_price
        # The new frequency counts its periods from this renewal.
        sub.anchor_day = sub.period_end.day
    _clear_pending(sub)
    sub.period_start = sub.period_end
    sub.period_end = periods.period_end(sub.period_start, sub.billing_frequency, sub.anchor_day)
    sub.save(
        update_fields=[
            "product",
            "quantity",
            "billing_frequency",
            "unit_price",
            "anchor_day",
            *PENDING_FIELDS,
            "period_start",
            "period_end",
        ]
    )
    invoice = _issue_invoice(
        sub=sub,
        kind=InvoiceKind.RENEWAL,
        issued_on=sub.period_start,
        period_start=sub.period_start,
        period_end=sub.period_end,
        lines=[
            _seat_line(
                sub,
                sub.quantity,
                sub.period_start,
                sub.period_end,
                sub.unit_price,
                sub.billing_frequency,
            )
        ],
    )
    method = _default_method(sub.account)
    decline = "There is no payment method on file." if method is None else _charge(invoice, method)
    _audit(
        AuditAction.PLAN_RENEWED,
        actor=None,
        account=sub.account,
        obj=sub,
        before=before,
        after={**_plan_state(sub), "invoice": invoice.number, "invoice_status": invoice.status},
    )
    if decline:
        _audit(
            AuditAction.INVOICE_PAYMENT_DECLINED,
            actor=None,
            account=sub.account,
            obj=invoice,
            after={"invoice": invoice.number, "reason": decline},
        )
        notifications.payment_declined(invoice, reason=decline)
    notifications.invoice_issued(invoice)
    return ("renewed", invoice.number, decline)


# --- invoices ----------------------------------------------------------------------------------


@transaction.atomic
def invoice_pay(*, actor: User, invoice: Invoice, request: HttpRequest | None = None) -> Invoice:
    """Pays a due invoice with the account's default card (after a declined renewal)."""
    invoice = Invoice.objects.select_for_update().select_related("account").get(pk=invoice.pk)
    policy.require(actor, Action.PAY, invoice)
    method = _default_method(invoice.account)
    if method is None:
        raise BillingConflict("Add a payment method first; nothing was charged.")
    declined = _charge(invoice, method)
    if declined:
        _audit(
            AuditAction.INVOICE_PAYMENT_DECLINED,
            actor=actor,
            account=invoice.account,
            obj=invoice,
            after={"invoice": invoice.number, "reason": declined},
            request=request,
        )
        notifications.payment_declined(invoice, reason=declined)
        return invoice
    _audit(
        AuditAction.INVOICE_PAID,
        actor=actor,
        account=invoice.account,
        obj=invoice,
        before={"status": InvoiceStatus.DUE},
        after={"status": invoice.status, "paid_with": invoice.paid_with},
        request=request,
    )
    _tell(
        invoice.account,
        actor,
        f"Invoice {invoice.number} paid",
        [f"{_money(invoice.total, invoice.currency)} charged to {invoice.paid_with}"],
    )
    return invoice


# --- payment methods -----------------------------------------------------------------------------


def _method_state(method: PaymentMethod) -> dict[str, Any]:
    return {
        "brand": method.brand,
        "last4": method.last4,
        "expiry": method.expiry,
        "holder_name": method.holder_name,
        "default": method.is_default,
    }


def _lock_methods(account: Account) -> None:
    # One card change per account at a time: the "one default" rule spans several rows.
    Account.objects.select_for_update().filter(pk=account.pk).first()


@transaction.atomic
def payment_method_add(
    *, actor: User, account: Account, card: CardDetails, request: HttpRequest | None = None
) -> PaymentMethod:
    """Tokenizes ``card`` with the processor and keeps the token, brand, last four digits and
    expiry; the new card becomes the default. Raises ``processor.CardRefused`` if the processor
    will not take it (nothing is stored)."""
    policy.require_create(actor, account)
    _lock_methods(account)
    token = get_processor().tokenize(card)
    previous = _default_method(account)
    if previous is not None:
        previous.is_default = False
        previous.save(update_fields=["is_default"])
    method = PaymentMethod.objects.create(
        account=account,
        holder_name=card.holder_name,
        brand=token.brand,
        last4=token.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        processor_token=token.token,
        is_default=True,
    )
    _audit(
        AuditAction.PAYMENT_METHOD_ADDED,
        actor=actor,
        account=account,
        obj=method,
        before={"default": previous.label} if previous else {},
        after=_method_state(method),
        request=request,
    )
    _tell(
        account,
        actor,
        f"Payment information updated: {method.label} is the default card",
        [f"{method.label}, expires {method.expiry}, card holder {method.holder_name}"]
        + ([f"Previously: {previous.label}"] if previous else []),
    )
    return method


@transaction.atomic
def payment_method_make_default(
    *, actor: User, method: PaymentMethod, request: HttpRequest | None = None
) -> PaymentMethod:
    _lock_methods(method.account)
    method = PaymentMethod.objects.select_related("account").get(pk=method.pk)
    policy.require(actor, Action.MAKE_DEFAULT, method)
    previous = _default_method(method.account)
    if previous is not None:
        previous.is_default = False
        previous.save(update_fields=["is_default"])
    method.is_default = True
    method.save(update_fields=["is_default"])
    _audit(
        AuditAction.PAYMENT_METHOD_DEFAULT,
        actor=actor,
        account=method.account,
        obj=method,
        before={"default": previous.label if previous else None},
        after={"default": method.label},
        request=request,
    )
    _tell(
        method.account,
        actor,
        f"Default payment method: {method.label}",
        [f"Renewals are now charged to {method.label}."],
    )
    return method


@transaction.atomic
def payment_method_remove(
    *, actor: User, method: PaymentMethod, request: HttpRequest | None = None
) -> None:
    _lock_methods(method.account)
    method = PaymentMethod.objects.select_related("account").get(pk=method.pk)
    policy.require(actor, Action.REMOVE, method)
    account = method.account
    before = _method_state(method)
    label = method.label
    _audit(
        AuditAction.PAYMENT_METHOD_REMOVED,
        actor=actor,
        account=account,
        obj=method,
        before=before,
        after={},
        request=request,
    )
    method.delete()
    _tell(account, actor, f"Payment method removed: {label}", [])
