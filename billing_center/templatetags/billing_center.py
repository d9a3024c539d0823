"""Filters for Billing Center pages and e-mails."""

import datetime
from decimal import Decimal

from django import template

from quotes.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """``1,234.50 USD`` by the one rounding rule (``quotes.money``)."""
    return "" if amount is None else format_money(amount, currency)


@register.filter
def last_day(period_end: datetime.date) -> datetime.date:
    """A period's last day: periods are stored with an exclusive end (the renewal date)."""
    return period_end - datetime.timedelta(days=1)
