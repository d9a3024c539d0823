"""What a price and a total cover: the unit's period and the term's value.

A line's unit price is the price for one billing period of the quote's frequency, so the unit
reads "seat / year" on an annual quote and "seat / month" on a monthly one, and the total is
"per year" or "per month" (or "one-time"). A term of several periods also states its whole value.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from .money import round_money

# frequency -> (the unit's period, the total's wording, months in one period)
PERIODS: dict[str, tuple[str, str, int | None]] = {
    "monthly": ("month", "per month", 1),
    "annually": ("year", "per year", 12),
    "one_time": ("", "one-time", None),
}

# Units written before the period was the quote's ("seat / month") lose their own.
_PERIOD_SUFFIX = re.compile(r"\s*/\s*(month|mo|year|yr|annum|annual)\s*$", re.IGNORECASE)


def base_unit(unit: str) -> str:
    return _PERIOD_SUFFIX.sub("", unit).strip() or unit


def line_unit(unit: str, frequency: str) -> str:
    """``seat`` on an annual quote → ``seat / year``; a one-time price has no period."""
    period = PERIODS.get(frequency, ("", "", None))[0]
    unit = base_unit(unit)
    if not period:
        return f"{unit} (one-time)" if frequency == "one_time" else unit
    return f"{unit} / {period}"


@dataclass(frozen=True)
class TermValue:
    periods: Decimal  # billing periods in the term, e.g. 3 for 36 months billed annually
    amount: Decimal  # the term's whole value, rounded once


def total_covers(frequency: str) -> str:
    """``per year``, ``per month`` or ``one-time``: what the quote's total is the price of."""
    return PERIODS.get(frequency, ("", "", None))[1]


def term_value(
    total: Decimal, *, frequency: str, term_months: int, currency: str
) -> TermValue | None:
    """The term's whole value when the term spans more than one billing period, else ``None``
    (the total says it all)."""
    months = PERIODS.get(frequency, ("", "", None))[2]
    if not months or term_months <= months:
        return None
    periods = Decimal(term_months) / Decimal(months)
    # Multiplied before dividing, so 13 months of a yearly total is rounded once, like the page.
    amount = round_money(total * Decimal(term_months) / Decimal(months), currency)
    return TermValue(periods=periods.normalize(), amount=amount)


def term_words(term_months: int) -> str:
    return f"{term_months} month{'s' if term_months != 1 else ''}"
