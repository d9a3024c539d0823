"""A realistic OpenVoice price book for the demo."""

from decimal import Decimal

from django.db import transaction

from .models import BillingFrequency, Price, Product

M, A, ONCE = BillingFrequency.MONTHLY, BillingFrequency.ANNUALLY, BillingFrequency.ONE_TIME

# sku, name, unit, description, {(currency, frequency): list price}
PRODUCTS = [
    (
        "OV-SEAT-STD",
        "OpenVoice Standard seat",
        "seat",
        "Audio conferencing for up to 250 participants",
        {("USD", M): "24.00", ("USD", A): "240.00", ("EUR", M): "22.00", ("EUR", A): "220.00"},
    ),
    (
        "OV-SEAT-PRO",
        "OpenVoice Pro seat",
        "seat",
        "Up to 1,000 participants, recording, reporting",
        {("USD", M): "39.00", ("USD", A): "390.00", ("EUR", M): "36.00", ("EUR", A): "360.00"},
    ),
    (
        "OV-TF-10K",
        "Toll-free minutes bundle 10,000",
        "bundle of 10,000 min",
        "US/Canada toll-free dial-in minutes",
        {("USD", M): "450.00", ("USD", A): "4800.00", ("EUR", M): "420.00", ("EUR", A): "4500.00"},
    ),
    (
        "OV-TF-100K",
        "Toll-free minutes bundle 100,000",
        "bundle of 100,000 min",
        "US/Canada toll-free dial-in minutes",
        {("USD", M): "3900.00", ("USD", A): "42000.00", ("EUR", A): "39000.00"},
    ),
    (
        "OV-INT-SFDC",
        "Salesforce integration",
        "organisation",
        "Log calls and attendance to Salesforce",
        {("USD", M): "99.00", ("USD", A): "990.00", ("EUR", A): "920.00"},
    ),
    (
        "OV-INT-TEAMS",
        "Microsoft Teams integration",
        "organisation",
        "",
        {("USD", M): "79.00", ("USD", A): "790.00", ("EUR", A): "740.00"},
    ),
    (
        "OV-ONBOARD",
        "Onboarding and training",
        "package",
        "Remote, two sessions",
        {("USD", ONCE): "1500.00", ("EUR", ONCE): "1400.00"},
    ),
    (
        "OV-LEGACY-PIN",
        "Legacy PIN dial-in (retired)",
        "seat",
        "No longer sold",
        {("USD", M): "12.00"},
    ),
]


@transaction.atomic
def load(progress=print) -> int:
    created = 0
    for sku, name, unit, description, prices in PRODUCTS:
        product, made = Product.objects.get_or_create(
            sku=sku,
            defaults={
                "name": name,
                "unit": unit,
                "description": description,
                "is_active": sku != "OV-LEGACY-PIN",
            },
        )
        created += made
        for (currency, frequency), amount in prices.items():
            Price.objects.get_or_create(
                product=product,
                currency=currency,
                billing_frequency=frequency,
                defaults={"list_price": Decimal(amount)},
            )
        progress(f"  product {sku}: {'created' if made else 'exists'}")
    return created
