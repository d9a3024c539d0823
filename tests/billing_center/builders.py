"""Builds Billing Center state through the real services, for tests."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing_center import pricing, services
from billing_center.processor import CardDetails
from contacts.models import AccountKind
from quotes.models import Price, Product

# Card numbers that pass Luhn: the processors' usual test numbers.
VISA = "4242424242424242"
VISA_DECLINES = "4000000000000002"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"


def plan_product(sku="OV-BC-STD", name="OpenVoice Business", **prices) -> Product:
    """A product with renewing prices (``USD_monthly="20.00"`` …)."""
    item, _ = Product.objects.get_or_create(
        sku=sku, defaults={"name": name, "unit": "seat / period"}
    )
    if not prices:
        prices = {
            "USD_monthly": "20.00",
            "USD_annually": "200.00",
            "EUR_monthly": "18.00",
            "EUR_annually": "180.00",
            "JPY_monthly": "2400",
            "JPY_annually": "24000",
            "BHD_monthly": "7.525",
            "BHD_annually": "75.250",
        }
    for key, amount in prices.items():
        currency, frequency = key.split("_", 1)
        Price.objects.update_or_create(
            product=item,
            currency=currency,
            billing_frequency=frequency,
            defaults={"list_price": Decimal(amount)},
        )
    return item


def make_self_service(account):
    if account.kind != AccountKind.SELF_SERVICE:
        account.kind = AccountKind.SELF_SERVICE
        account.save(update_fields=["kind"])
    return account


def card(number=VISA, *, holder="Amelia Apfelbaum", month=12, year=2099, cvc="123"):
    return CardDetails(number=number, exp_month=month, exp_year=year, cvc=cvc, holder_name=holder)


def add_card(account, contact, number=VISA):
    return services.payment_method_add(actor=contact, account=account, card=card(number))


def at(day: date, account, hour=12) -> datetime:
    """Noon of ``day`` in the account's time zone, as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(account.time_zone))


def add_plan(account, contact, *, product=None, frequency="monthly", quantity=5, now=None):
    product = product or plan_product()
    today = pricing.local_today(account, now)
    preview = pricing.new_plan_preview(
        account=account, product=product, frequency=frequency, quantity=quantity, today=today
    )
    return services.subscription_add(
        actor=contact,
        account=account,
        product=product,
        billing_frequency=frequency,
        quantity=quantity,
        charge_now=preview.charge_now,
        effective_on=preview.effective_on,
        now=now,
    )
