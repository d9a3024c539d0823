"""Demo data for the README's self-service account (OV-2000101 Initech Studio, billing contact
``initech.owner``): two plans (one monthly, one annual), twelve months of billing history with
paid and due invoices, a card on file and one change pending for the next renewal, so a person
signing in sees every Billing Center feature at once.

Built through the real services, dated in the past, so the history is what the renewal job would
have made. Idempotent: an account that already has plans is left as it is.
"""

from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db import transaction

from contacts.models import Account, User
from quotes.models import Product

from . import periods, pricing, services
from .models import Subscription
from .processor import CardDetails

ACCOUNT = "OV-2000101"
CONTACT = "initech.owner"
MONTHLY_SKU = "OV-SEAT-PRO"  # 39.00 USD a seat a month
ANNUAL_SKU = "OV-INT-SFDC"  # 990.00 USD a year
# The processors' usual test numbers: one that works, one that declines (see processor.py).
GOOD_CARD = CardDetails("4242424242424242", 8, 2030, "123", "Olivia Nguyen")
DECLINING_CARD = CardDetails("4000000000000002", 8, 2030, "123", "Olivia Nguyen")


def _months_ago(today: date, months: int) -> date:
    return periods.add_months(today, -months, today.day)


def _add(account: Account, contact: User, sku: str, frequency: str, seats: int, day: date):
    product = Product.objects.get(sku=sku)
    preview = pricing.new_plan_preview(
        account=account, product=product, frequency=frequency, quantity=seats, today=day
    )
    return services.subscription_add(
        actor=contact,
        account=account,
        product=product,
        billing_frequency=frequency,
        quantity=seats,
        charge_now=preview.charge_now,
        effective_on=preview.effective_on,
        now=_noon(account, day),
    )


def _noon(account: Account, day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(account.time_zone))


@transaction.atomic
def load(progress: Callable[[str], object] = print) -> int:
    """Returns the number of plans created (0 when the demo plans exist already)."""
    account = Account.objects.filter(number=ACCOUNT).first()
    contact = User.objects.by_login_id(CONTACT).first()
    if account is None or contact is None:
        progress(f"  {ACCOUNT} or {CONTACT} is missing: load the demo accounts first")
        return 0
    if Subscription.objects.filter(account=account).exists():
        progress(f"  Billing Center plans of {ACCOUNT}: exist")
        return 0
    today = pricing.local_today(account)
    start = _months_ago(today, 12)
    good = services.payment_method_add(actor=contact, account=account, card=GOOD_CARD)
    # The monthly plan: 8 Pro seats a year ago, 2 more six months ago (a prorated charge).
    monthly = _add(account, contact, MONTHLY_SKU, "monthly", 8, start)
    services.subscription_renew(subscription=monthly, today=_months_ago(today, 6))
    monthly.refresh_from_db()
    added_on = _months_ago(today, 6) + (monthly.period_end - monthly.period_start) // 2
    preview = pricing.seats_preview(subscription=monthly, quantity=10, today=added_on)
    services.subscription_change_seats(
        actor=contact,
        subscription=monthly,
        quantity=10,
        charge_now=preview.charge_now,
        effective_on=preview.effective_on,
        now=_noon(account, added_on),
    )
    # The annual plan: the Salesforce integration, bought eight months ago.
    _add(account, contact, ANNUAL_SKU, "annually", 1, _months_ago(today, 8))
    # Renewals up to last month, paid; then last month's renewal declined: that invoice is due.
    services.subscription_renew(subscription=monthly, today=_months_ago(today, 2))
    declining = services.payment_method_add(actor=contact, account=account, card=DECLINING_CARD)
    services.subscription_renew(subscription=monthly, today=_months_ago(today, 1))
    services.payment_method_make_default(actor=contact, method=good)
    services.payment_method_remove(actor=contact, method=declining)
    services.subscription_renew(subscription=monthly, today=today)
    # One change waiting for the next renewal: the monthly plan moves to annual billing.
    monthly.refresh_from_db()
    preview = pricing.frequency_preview(subscription=monthly, frequency="annually")
    services.subscription_change_frequency(
        actor=contact,
        subscription=monthly,
        billing_frequency="annually",
        period_price_after=preview.period_price_after,
        effective_on=preview.effective_on,
    )
    progress(
        f"  Billing Center for {ACCOUNT}: 2 plans, "
        f"{account.invoices.count()} invoices ({account.invoices.filter(status='due').count()} "
        f"due), {good.label} on file, annual billing pending from {monthly.period_end}"
    )
    return 2
