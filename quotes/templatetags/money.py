from django import template

from quotes.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    """``{{ revision.total|money:revision.currency }}`` → ``1,234.50 USD``."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency)
