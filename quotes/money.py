"""Money: ``Decimal`` in the currency's minor unit, with one rounding rule.

The rule: every line is rounded half-up to the currency's minor unit; subtotals, discounts and
totals are sums of rounded lines. Nothing here ever touches ``float``.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# The currency table lives with accounts (the lowest app that needs it); re-exported so
# ``quotes.money.MINOR_UNITS`` and ``CURRENCY_CHOICES`` keep working.
from contacts.currencies import CURRENCY_CHOICES, MINOR_UNITS  # noqa: F401

# The largest amount a field may hold: 12 integer digits. A 13-digit amount is a typo, not a deal.
MAX_DIGITS = 18
DECIMAL_PLACES = 4
MAX_AMOUNT = Decimal("999999999999.9999")

HUNDRED = Decimal(100)


class UnknownCurrency(ValueError):
    pass


def minor_unit(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise UnknownCurrency(f"Unknown currency {currency!r}") from None


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def to_decimal(value) -> Decimal:
    """Accepts Decimal, int or str (never float: a float has already lost the cents)."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"not an amount: {value!r}") from None


def round_money(amount, currency: str) -> Decimal:
    """The one rounding rule: half-up to the currency's minor unit."""
    return to_decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def line_amounts(
    *, quantity, unit_price, discount_percent, currency: str
) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, discount, net) of one line, each rounded; net = gross - discount exactly."""
    quantity = to_decimal(quantity)
    unit_price = to_decimal(unit_price)
    discount_percent = to_decimal(discount_percent)
    gross = round_money(quantity * unit_price, currency)
    discount = round_money(gross * discount_percent / HUNDRED, currency)
    return gross, discount, gross - discount


def format_money(amount: Decimal, currency: str) -> str:
    """``1,234.50 USD`` with the currency's minor unit; for documents and pages."""
    places = minor_unit(currency)
    rounded = round_money(amount, currency)
    return f"{rounded:,.{places}f} {currency}"
