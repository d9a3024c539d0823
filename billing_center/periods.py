"""Billing periods and proration: pure functions of dates and ``Decimal`` amounts.

A period is ``[start, end)``; ``end`` is the next renewal date. Proration follows DESIGN.md §3:
a change that costs more takes effect at once and is charged for the rest of the current period,
``(new period price − old period price) × days remaining / days in the period``, rounded once by
``quotes.money.round_money`` (half-up to the currency's minor unit). Period prices are whole
minor units (``unit_price`` is), so a prorated charge never exceeds the same change's full-period
price: rounding half-up a value below a whole minor-unit amount cannot pass it.
"""

import calendar
from datetime import date
from decimal import Decimal

from quotes.money import round_money

from .models import MONTHS


def add_months(day: date, months: int, anchor_day: int) -> date:
    """``day`` moved by ``months`` months, on ``anchor_day`` or the month's last day if shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def period_end(start: date, frequency: str, anchor_day: int) -> date:
    return add_months(start, MONTHS[frequency], anchor_day)  # type: ignore[index]


def period_price(quantity: int, unit_price: Decimal, currency: str) -> Decimal:
    """What ``quantity`` seats cost for one whole period."""
    return round_money(quantity * unit_price, currency)


def days_remaining(*, start: date, end: date, today: date) -> tuple[int, int]:
    """(days left from ``today`` to ``end``, days in the period), today counted as left."""
    total = (end - start).days
    left = min(max((end - today).days, 0), total)
    return left, total


def prorated(
    *, old_period_price: Decimal, new_period_price: Decimal, left: int, total: int, currency: str
) -> Decimal:
    """The charge for the rest of the period of a change from one period price to another."""
    difference = new_period_price - old_period_price
    return round_money(difference * left / total, currency)
