"""Demo purchase orders, built through the real services and flows (no shortcuts), so a person
signing in with the README's logins sees every PO feature at once:

* Acme (USD, PO required): an active PO with two quotes drawn on it and a change history (one
  change approved, one rejected); a nearly used PO (over 90 %); a PO near expiry with a change
  waiting for review; an expired PO with a quote drawn on it.
* Globex (EUR): an active PO with one quote drawn on it.

Idempotent: an account that has POs already is left alone. Lives in ``workflows`` because it
drives the flows; ``seed_demo`` calls it after the accounts and the price book.
"""

import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from contacts.models import Account, Membership, MembershipRole, User
from purchase_orders import services as po_services
from purchase_orders.models import PurchaseOrder
from purchase_orders.services import NewPurchaseOrder
from quotes import services as quote_services
from quotes.models import BillingFrequency, Product, Quote
from quotes.services import LineInput

from . import services as flow_services


def _people(account: Account) -> tuple[User, User, User]:
    """(primary billing contact, another billing contact or the primary, representative)."""
    memberships = Membership.objects.filter(account=account).select_related("user")
    contacts = [m for m in memberships if m.role == MembershipRole.BILLING_CONTACT]
    contacts.sort(key=lambda m: (not m.is_primary, m.user.username))
    rep = next(m.user for m in memberships if m.role == MembershipRole.REPRESENTATIVE)
    return contacts[0].user, contacts[-1].user, rep


def seat_line(account: Account, seats: int, discount: str = "0") -> LineInput:
    """Standard seats at the price book's annual list price in the account's currency."""
    seat = Product.objects.get(sku="OV-SEAT-STD")
    price = seat.prices.get(currency=account.currency, billing_frequency=BillingFrequency.ANNUALLY)
    return LineInput(
        product=seat,
        quantity=Decimal(seats),
        unit_price=price.list_price,
        discount_percent=Decimal(discount),
    )


def draft_quote(account: Account, rep: User, title: str, lines: list[LineInput]) -> Quote:
    """A draft as the demo's representatives write them: a year, billed annually, Net 30.
    (Every demo module builds its quotes here, through the real services.)"""
    quote = quote_services.quote_create(
        account=account, actor=rep, title=title, idempotency_key=uuid.uuid4()
    )
    assert quote.current_revision is not None
    quote_services.revision_update(
        revision=quote.current_revision,
        actor=rep,
        term_months=12,
        billing_frequency=BillingFrequency.ANNUALLY,
        valid_until=quote_services.default_valid_until(account),
        terms="Net 30",
        notes="",
        lines=lines,
    )
    return quote


def _sent_quote(account: Account, rep: User, title: str, seats: int) -> Quote:
    quote = draft_quote(account, rep, title, [seat_line(account, seats)])
    flow_services.quote_submit(quote=quote, actor=rep)
    return quote


def _po(account: Account, contact: User, number: str, amount: str, start: int, end: int):
    today = timezone.localdate()
    return po_services.purchase_order_create(
        account=account,
        actor=contact,
        new=NewPurchaseOrder(
            number=number,
            amount=Decimal(amount),
            valid_from=today + timedelta(days=start),
            valid_to=today + timedelta(days=end),
        ),
    )


def _draw(po: PurchaseOrder, contact: User, rep: User, title: str, seats: int) -> None:
    quote = _sent_quote(po.account, rep, title, seats)
    flow_services.quote_accept(quote=quote, actor=contact, purchase_order=po)


def _change(po: PurchaseOrder, contact: User, reason: str, **values):
    po.refresh_from_db()
    fields = {
        "number": po.number,
        "amount": po.amount,
        "valid_from": po.valid_from,
        "valid_to": po.valid_to,
        **values,
    }
    return flow_services.po_change_propose(
        purchase_order=po, actor=contact, base_version=po.version, reason=reason, **fields
    )


def _acme(account: Account, progress: Callable[[str], None]) -> None:
    contact, controller, rep = _people(account)
    today = timezone.localdate()
    main = _po(account, contact, "ACME-PO-2026-001", "80000", -60, 300)
    _draw(main, contact, rep, "2026 Standard seats, first wave", 50)
    _draw(main, controller, rep, "2026 Standard seats, second wave", 40)
    raised = _change(main, controller, "Budget raised by procurement", amount=Decimal("100000"))
    flow_services.po_change_approve(change=raised, actor=rep, comment="Matches the signed PO")
    cut = _change(main, contact, "Trim to what we use", amount=Decimal("25000"))
    flow_services.po_change_reject(
        change=cut, actor=rep, comment="The signed PO is for 100,000; keep it."
    )
    progress("  PO ACME-PO-2026-001: active, two quotes drawn, one change approved, one rejected")

    nearly = _po(account, contact, "ACME-PO-2026-002", "5000", -30, 200)
    _draw(nearly, contact, rep, "Extra seats for the support team", 20)  # 4,800 of 5,000
    progress("  PO ACME-PO-2026-002: over 90 % used")

    soon = _po(account, controller, "ACME-PO-2026-003", "20000", -300, 12)
    _draw(soon, controller, rep, "Training seats", 10)
    _change(
        soon,
        controller,
        "Extended by procurement for the next quarter",
        valid_to=today + timedelta(days=100),
    )
    progress("  PO ACME-PO-2026-003: expires within 30 days, a change waits for review")

    old = _po(account, contact, "ACME-PO-2025-009", "10000", -400, 30)
    _draw(old, contact, rep, "2025 pilot seats", 15)
    ended = _change(
        old, contact, "The pilot ended; close the PO's validity", valid_to=today - timedelta(days=5)
    )
    flow_services.po_change_approve(change=ended, actor=rep, comment="Pilot over")
    progress("  PO ACME-PO-2025-009: expired, one quote drawn")


def _globex(account: Account, progress: Callable[[str], None]) -> None:
    contact, _, rep = _people(account)
    po = _po(account, contact, "GX-4500012345", "30000", -10, 355)
    _draw(po, contact, rep, "Globex Standard seats 2026", 25)
    progress("  PO GX-4500012345: active, one quote drawn")


@transaction.atomic
def load(progress: Callable[[str], None] = print) -> int:
    """Creates the demo POs of accounts that have none; returns how many accounts got them."""
    done = 0
    for number, build in (("OV-1002345", _acme), ("OV-1002346", _globex)):
        account = Account.objects.filter(number=number).first()
        if account is None or PurchaseOrder.objects.filter(account=account).exists():
            progress(f"  purchase orders of {number}: exist")
            continue
        build(account, progress)
        done += 1
    return done
