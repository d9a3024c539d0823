"""``{% po_acceptance_fields account %}``: the PO part of the quote page's accept form. A tag, so
the quote page offers the account's POs without ``quotes`` importing ``purchase_orders``."""

from django import template

from contacts.models import Account

from .. import selectors

register = template.Library()


@register.inclusion_tag("purchase_orders/_acceptance_fields.html")
def po_acceptance_fields(account: Account) -> dict:
    return {"account": account, "usable": selectors.usable_for(account=account)}
