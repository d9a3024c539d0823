"""Demo of issue 11, built through the real services and flows:

* Acme (USD) needs two billing contacts to accept quotes above 30,000 USD; a 39,000 quote of
  Pro seats was accepted by ``ap@acme.example`` and waits for ``acme.controller``'s second
  acceptance.
* Globex (EUR) has a quote with a 35 % line discount: deal desk approved it, and it waits for
  ``finance.frank`` (the finance-tier rule "any line discount over 30 %" fired).

Idempotent: each is made once, found again by its title. Runs after the purchase-order demo,
whose quotes stay accepted by one contact.
"""

from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from contacts import services as contact_services
from contacts.models import Account, StaffRole, User
from purchase_orders.models import PurchaseOrder
from quotes.models import BillingFrequency, Product, Quote
from quotes.services import LineInput

from . import services as flow_services
from .demo import _people, draft_quote

TWO_SIGNATURES = "2027 Pro seats, company-wide (two signatures)"
FINANCE_TIER = "Globex Pro seats, multi-year discount (finance approval)"
ACME_SECOND_ABOVE = Decimal("30000")


def _submitted(account: Account, rep: User, title: str, lines: list[LineInput]) -> Quote:
    quote = draft_quote(account, rep, title, lines)
    flow_services.quote_submit(quote=quote, actor=rep)
    return quote


def _pro_seats(account: Account, seats: int, discount: str) -> LineInput:
    pro = Product.objects.get(sku="OV-SEAT-PRO")
    price = pro.prices.get(currency=account.currency, billing_frequency=BillingFrequency.ANNUALLY)
    return LineInput(
        product=pro,
        quantity=Decimal(seats),
        unit_price=price.list_price,
        discount_percent=Decimal(discount),
    )


def _acme(account: Account, progress: Callable[[str], None]) -> None:
    contact, controller, rep = _people(account)
    if account.second_acceptance_above is None:
        contact_services.account_set_second_acceptance(
            account=account, actor=rep, amount=ACME_SECOND_ABOVE
        )
    quote = _submitted(account, rep, TWO_SIGNATURES, [_pro_seats(account, 100, "0")])
    po = PurchaseOrder.objects.get(account=account, number="ACME-PO-2026-001")
    flow_services.quote_accept(quote=quote, actor=contact, purchase_order=po)
    progress(f"  {quote.number}: accepted by {contact.username}, awaits {controller.username}")


def _globex(account: Account, progress: Callable[[str], None]) -> None:
    _, _, rep = _people(account)
    quote = _submitted(account, rep, FINANCE_TIER, [_pro_seats(account, 40, "35")])
    desk = User.objects.filter(staff_role=StaffRole.DEAL_DESK, is_active=True).first()
    assert desk is not None  # the demo people include deal desk
    flow_services.quote_approve(quote=quote, actor=desk, comment="Multi-year commitment: OK")
    progress(f"  {quote.number}: approved by deal desk, waits for finance")


@transaction.atomic
def load(progress: Callable[[str], None] = print) -> int:
    """Creates the missing demo quotes; returns how many it made."""
    made = 0
    for number, title, build in (
        ("OV-1002345", TWO_SIGNATURES, _acme),
        ("OV-1002346", FINANCE_TIER, _globex),
    ):
        account = Account.objects.filter(number=number).first()
        if account is None or Quote.objects.filter(account=account, title=title).exists():
            progress(f"  {title}: exists")
            continue
        build(account, progress)
        made += 1
    return made
