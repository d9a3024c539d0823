"""Property tests of proration and renewal (hypothesis), in currencies with 0, 2 and 3 minor
units (JPY, USD, BHD):

* what a change charges is exactly what its preview showed;
* within one period, the plan's charges never exceed the full-period price of the seats it ends
  with;
* every amount is in the currency's minor unit;
* a renewal run twice makes one invoice.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_center import periods, pricing, services
from billing_center.models import Invoice, InvoiceKind
from quotes.money import MINOR_UNITS, round_money
from tests import factories

from .builders import add_card, add_plan, at, make_self_service, plan_product

CURRENCIES = ("JPY", "USD", "BHD")


def in_minor_units(amount: Decimal, currency: str) -> bool:
    return amount == round_money(amount, currency) and -amount.as_tuple().exponent <= max(
        MINOR_UNITS[currency], 4
    )


@st.composite
def unit_prices(draw, currency):
    minor = draw(st.integers(min_value=1, max_value=50_000_000))
    return Decimal(minor).scaleb(-MINOR_UNITS[currency])


@given(
    currency=st.sampled_from(CURRENCIES),
    data=st.data(),
    quantity=st.integers(1, 500),
    added=st.lists(st.integers(1, 300), min_size=1, max_size=6),
    start=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
    frequency=st.sampled_from(["monthly", "annually"]),
)
@settings(max_examples=300, deadline=None)
def test_prorated_charges_never_exceed_the_full_period_price(
    currency, data, quantity, added, start, frequency
):
    # Given a plan's period and seats added on days within it (pure arithmetic)
    unit_price = data.draw(unit_prices(currency))
    end = periods.period_end(start, frequency, start.day)
    total_days = (end - start).days
    days = sorted(
        data.draw(st.lists(st.integers(0, total_days), min_size=len(added), max_size=len(added)))
    )
    charged = periods.period_price(quantity, unit_price, currency)
    seats = quantity
    for offset, more in zip(days, added, strict=True):
        left, total = periods.days_remaining(
            start=start, end=end, today=start + timedelta(days=offset)
        )
        charge = periods.prorated(
            old_period_price=periods.period_price(seats, unit_price, currency),
            new_period_price=periods.period_price(seats + more, unit_price, currency),
            left=left,
            total=total,
            currency=currency,
        )
        # Then each charge is in minor units and between nothing and the full-period price
        assert in_minor_units(charge, currency)
        assert 0 <= charge <= periods.period_price(more, unit_price, currency)
        charged += charge
        seats += more
    # And the period's charges never exceed the full-period price of the final seats
    assert charged <= periods.period_price(seats, unit_price, currency)


@given(
    currency=st.sampled_from(CURRENCIES),
    data=st.data(),
    quantity=st.integers(1, 200),
    changes=st.lists(st.tuples(st.integers(0, 40), st.integers(1, 50)), min_size=1, max_size=3),
    start=st.dates(date(2025, 1, 1), date(2028, 12, 31)),
    frequency=st.sampled_from(["monthly", "annually"]),
)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_charge_is_the_preview_to_the_minor_unit(
    db, currency, data, quantity, changes, start, frequency
):
    unit_price = data.draw(unit_prices(currency))
    with transaction.atomic():
        # Given a self-service account in the currency, with a card and a plan
        account = make_self_service(factories.AccountFactory(currency=currency))
        contact = factories.billing_contact(account, primary=True)
        product = plan_product(
            sku=f"P-{currency}-{unit_price}",
            **{f"{currency}_{frequency}": str(unit_price)},
        )
        add_card(account, contact)
        sub = add_plan(
            account,
            contact,
            product=product,
            frequency=frequency,
            quantity=quantity,
            now=at(start, account),
        )
        full = [Invoice.objects.get(subscription=sub).total]
        seats = quantity
        for offset, more in changes:
            day = min(start + timedelta(days=offset), sub.period_end - timedelta(days=1))
            # When seats are added after the preview was shown
            preview = pricing.seats_preview(subscription=sub, quantity=seats + more, today=day)
            invoice = services.subscription_change_seats(
                actor=contact,
                subscription=sub,
                quantity=seats + more,
                charge_now=preview.charge_now,
                effective_on=preview.effective_on,
                now=at(day, account),
            )
            assert invoice is not None
            invoice.refresh_from_db()
            # Then what was charged is the preview, in the currency's minor unit
            assert invoice.total == preview.charge_now
            assert in_minor_units(invoice.total, currency)
            full.append(invoice.total)
            seats += more
            sub.refresh_from_db()
        # And the period's charges stay within the full-period price of the final seats
        assert sum(full) <= periods.period_price(seats, sub.unit_price, currency)
        # And renewing twice on the renewal day makes one renewal invoice, for the final seats
        services.subscription_renew(subscription=sub, today=sub.period_end)
        services.subscription_renew(subscription=sub, today=sub.period_end)
        renewals = Invoice.objects.filter(subscription=sub, kind=InvoiceKind.RENEWAL)
        assert renewals.count() == 1
        assert renewals.get().total == periods.period_price(seats, unit_price, currency)
        transaction.set_rollback(True)
