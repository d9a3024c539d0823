"""Money: half-up per line in the currency's minor unit, totals are sums of rounded lines.

The properties are checked against an independent oracle (exact ``Fraction`` arithmetic and an
explicit floor(x + ½)), not against a copy of ``quotes.money``. The database property runs on
SQLite in ``make test`` and on PostgreSQL in CI: SQLite stores decimals as REAL, so it is the
evidence that both databases give back exactly the ``Decimal`` computed in Python.
"""

import math
import uuid
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quotes import services
from quotes.models import Product, QuoteLine, QuoteRevision
from quotes.money import format_money, line_amounts, round_money, to_decimal
from quotes.services import LineInput
from tests import factories

PLACES = {"USD": 2, "JPY": 0, "BHD": 3}
CURRENCIES = sorted(PLACES)


# --- an independent oracle -------------------------------------------------------------------


def half_up(value: Fraction, places: int) -> Decimal:
    """Rounds a non-negative exact value half-up to ``places`` decimals."""
    assert value >= 0
    units = math.floor(value * 10**places + Fraction(1, 2))
    return Decimal(units).scaleb(-places)


def expected_line(quantity: Decimal, unit_price: Decimal, discount: Decimal, currency: str):
    places = PLACES[currency]
    gross = half_up(Fraction(quantity) * Fraction(unit_price), places)
    discount_amount = half_up(Fraction(gross) * Fraction(discount) / 100, places)
    return gross, discount_amount, gross - discount_amount


def exponent(amount: Decimal) -> int:
    return amount.as_tuple().exponent


# --- strategies ------------------------------------------------------------------------------

# 0.01 … 99,999.99 with two decimals.
quantities = st.integers(min_value=1, max_value=9_999_999).map(lambda n: Decimal(n).scaleb(-2))
# 0.00 … 100.00 with two decimals.
discounts = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-2))


def unit_prices(currency: str, max_major: int = 9_999_999):
    """0 … ``max_major`` in the currency's minor unit (1 yen, 1 cent, 1 fils)."""
    places = PLACES[currency]
    return st.integers(min_value=0, max_value=max_major * 10**places).map(
        lambda n: Decimal(n).scaleb(-places)
    )


@st.composite
def priced_line(draw, currency: str, max_major: int = 9_999_999):
    return draw(quantities), draw(unit_prices(currency, max_major)), draw(discounts)


@st.composite
def currency_and_line(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    return currency, draw(priced_line(currency))


# --- line_amounts ----------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(currency_and_line())
@example(("USD", (Decimal("0.50"), Decimal("0.01"), Decimal("0"))))  # 0.005 → 0.01
@example(("JPY", (Decimal("0.50"), Decimal("5"), Decimal("0"))))  # 2.5 → 3
@example(("BHD", (Decimal("0.50"), Decimal("0.001"), Decimal("0"))))  # 0.0005 → 0.001
@example(("USD", (Decimal("99999.99"), Decimal("9999999.99"), Decimal("100.00"))))
def test_line_amounts_are_rounded_half_up_to_the_minor_unit(case):
    # given a random line in USD, JPY or BHD
    currency, (quantity, unit_price, discount) = case
    places = PLACES[currency]

    # when its amounts are computed
    gross, discount_amount, net = line_amounts(
        quantity=quantity, unit_price=unit_price, discount_percent=discount, currency=currency
    )

    # then each is in the minor unit exactly, equals the half-up oracle, and net = gross − discount
    assert (exponent(gross), exponent(discount_amount), exponent(net)) == (-places,) * 3
    assert (gross, discount_amount, net) == expected_line(quantity, unit_price, discount, currency)
    assert net == gross - discount_amount
    assert Decimal(0) <= discount_amount <= gross
    if discount == 0:
        assert (discount_amount, net) == (Decimal(0), gross)
    if discount == 100:
        assert (discount_amount, net) == (gross, Decimal(0))


@pytest.mark.parametrize(
    ("currency", "quantity", "unit_price", "discount", "expected"),
    [
        # half a cent rounds up, not to even
        ("USD", "0.5", "0.01", "0", ("0.01", "0.00", "0.01")),
        ("USD", "0.5", "0.25", "0", ("0.13", "0.00", "0.13")),  # 0.125 → 0.13 (banker's: 0.12)
        ("USD", "1", "0.10", "5", ("0.10", "0.01", "0.09")),  # discount 0.005 → 0.01
        ("USD", "1", "0.10", "4.9", ("0.10", "0.00", "0.10")),  # discount 0.0049 → 0.00
        ("USD", "3", "33.33", "33.33", ("99.99", "33.33", "66.66")),  # 33.326667 → 33.33
        # no decimals in yen
        ("JPY", "0.5", "5", "0", ("3", "0", "3")),  # 2.5 → 3 (banker's: 2)
        ("JPY", "0.5", "3", "0", ("2", "0", "2")),  # 1.5 → 2
        ("JPY", "1", "1999", "12.5", ("1999", "250", "1749")),  # 249.875 → 250
        # three in dinars
        ("BHD", "0.5", "0.001", "0", ("0.001", "0.000", "0.001")),  # 0.0005 → 0.001
        ("BHD", "2.5", "1.111", "10", ("2.778", "0.278", "2.500")),  # 2.7775 → 2.778
    ],
)
def test_line_amounts_hand_checked(currency, quantity, unit_price, discount, expected):
    # given a line whose amounts were worked out by hand
    # when its amounts are computed
    amounts = line_amounts(
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        discount_percent=Decimal(discount),
        currency=currency,
    )

    # then they are exactly the hand-checked figures, digit for digit
    assert [str(a) for a in amounts] == list(expected)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.005", "USD", "0.01"),
        ("0.004999", "USD", "0.00"),
        ("2.5", "JPY", "3"),
        ("3.5", "JPY", "4"),
        ("0.0005", "BHD", "0.001"),
        ("1.2344999", "BHD", "1.234"),
    ],
)
def test_round_money_is_half_up(amount, currency, expected):
    assert str(round_money(Decimal(amount), currency)) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234567"), "JPY", "1,234,567 JPY"),
        (Decimal("1234567.5"), "JPY", "1,234,568 JPY"),
        (Decimal("0"), "JPY", "0 JPY"),
        (Decimal("1234.5"), "BHD", "1,234.500 BHD"),
        (Decimal("0.0005"), "BHD", "0.001 BHD"),
        (Decimal("1234.5"), "USD", "1,234.50 USD"),
        (Decimal("999999999999.995"), "USD", "1,000,000,000,000.00 USD"),
        (Decimal("0.005"), "USD", "0.01 USD"),
        (Decimal("12.3400"), "USD", "12.34 USD"),  # as read back from a 4-place column
        (7, "USD", "7.00 USD"),
    ],
)
def test_format_money(amount, currency, expected):
    assert format_money(amount, currency) == expected


def test_a_float_is_refused_everywhere():
    # a float has already lost the cents: 0.1 is 0.1000000000000000055511151231257827…
    with pytest.raises(TypeError, match="money must not be a float"):
        to_decimal(0.1)
    with pytest.raises(TypeError, match="money must not be a float"):
        round_money(0.1, "USD")
    with pytest.raises(TypeError, match="money must not be a float"):
        line_amounts(
            quantity=Decimal(1), unit_price=19.99, discount_percent=Decimal(0), currency="USD"
        )
    with pytest.raises(TypeError, match="money must not be a float"):
        format_money(0.1, "USD")


def test_to_decimal_accepts_decimal_int_and_str_and_refuses_garbage():
    assert to_decimal(Decimal("1.10")) == Decimal("1.10")
    assert to_decimal(3) == Decimal(3)
    assert str(to_decimal("0.10")) == "0.10"
    with pytest.raises(ValueError, match="not an amount: 'ten'"):
        to_decimal("ten")


# --- through revision_update and the database ------------------------------------------------


@pytest.fixture
def quoting(db):
    """Per currency: an account, its representative and a product to quote."""
    item = Product.objects.create(sku="OV-PROP-1", name="Property seat", unit="seat")
    result = {}
    for currency in CURRENCIES:
        account = factories.AccountFactory(currency=currency)
        rep = factories.representative(account)
        result[currency] = (account, rep, item)
    return result


@st.composite
def currency_and_lines(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    # Unit prices up to 99,999 major units keep a revision's total below 10^11, 14 significant
    # digits at most: within what SQLite's REAL gives back exactly.
    lines = draw(st.lists(priced_line(currency, max_major=99_999), min_size=1, max_size=8))
    return currency, lines


@settings(
    max_examples=40,
    deadline=None,
    # The fixtures are created once; every example runs in its own rolled-back transaction.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(currency_and_lines())
@example(("USD", [(Decimal("0.50"), Decimal("0.01"), Decimal("0"))] * 3))
@example(
    (
        "JPY",
        [
            (Decimal("0.50"), Decimal("5"), Decimal("0")),
            (Decimal("1"), Decimal("1999"), Decimal("12.5")),
        ],
    )
)
@example(
    (
        "BHD",
        [
            (Decimal("2.50"), Decimal("1.111"), Decimal("10")),
            (Decimal("0.10"), Decimal("0.001"), Decimal("0")),
        ],
    )
)
@example(("USD", [(Decimal("99999.99"), Decimal("99999.99"), Decimal("33.33"))] * 8))
def test_saved_totals_are_sums_of_the_stored_rounded_lines(quoting, case):
    currency, raw_lines = case
    account, rep, item = quoting[currency]
    expected = [expected_line(q, p, d, currency) for q, p, d in raw_lines]
    with transaction.atomic():
        # given a draft quote in the currency
        quote = services.quote_create(
            account=account, actor=rep, title="Property", idempotency_key=uuid.uuid4()
        )

        # when random lines are saved through the service
        services.revision_update(
            revision=quote.current_revision,
            actor=rep,
            term_months=12,
            billing_frequency="annually",
            valid_until=timezone.localdate(),
            terms="",
            notes="",
            lines=[
                LineInput(product=item, quantity=q, unit_price=p, discount_percent=d)
                for q, p, d in raw_lines
            ],
        )

        # then the lines read back from the database are exactly the oracle's rounded figures
        stored = list(
            QuoteLine.objects.filter(revision=quote.current_revision_id)
            .order_by("position")
            .values_list(
                "quantity",
                "unit_price",
                "discount_percent",
                "gross_amount",
                "discount_amount",
                "net_amount",
            )
        )
        assert [row[:3] for row in stored] == [tuple(line) for line in raw_lines]
        assert [row[3:] for row in stored] == expected
        # and nothing below the minor unit survived the round trip (REAL on SQLite)
        for amount in (a for row in stored for a in row[3:]):
            assert amount == round_money(amount, currency)

        # and the revision's totals are the sums of the stored rounded lines …
        revision = QuoteRevision.objects.get(pk=quote.current_revision_id)
        assert revision.subtotal == sum((row[3] for row in stored), Decimal(0))
        assert revision.discount_total == sum((row[4] for row in stored), Decimal(0))
        assert revision.total == sum((row[5] for row in stored), Decimal(0))
        assert revision.total == revision.subtotal - revision.discount_total
        # … and exactly the Decimals computed in Python
        assert (revision.subtotal, revision.discount_total, revision.total) == (
            sum((g for g, _, _ in expected), Decimal(0)),
            sum((d for _, d, _ in expected), Decimal(0)),
            sum((n for _, _, n in expected), Decimal(0)),
        )
        transaction.set_rollback(True)
