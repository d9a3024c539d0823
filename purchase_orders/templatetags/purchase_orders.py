"""``{% po_acceptance_fields account %}``: the PO part of the quote page's accept form. A tag, so
the quote page offers the account's POs without ``quotes`` importing ``purchase_orders``."""

from django import template

from contacts.models import Account

from .. import selectors
from ..forms import AcceptancePOForm

register = template.Library()


@register.inclusion_tag("purchase_orders/_acceptance_fields.html")
def po_acceptance_fields(account: Account, form: object = None) -> dict:
    """``form``: the bound ``AcceptancePOForm`` of a refused acceptance, shown again with its
    errors at their fields and what the person entered (the document excepted: browsers never
    refill a file input)."""
    if not isinstance(form, AcceptancePOForm):
        form = AcceptancePOForm()
    return {"account": account, "usable": selectors.usable_for(account=account), "form": form}
