"""Purchase orders for tests, through the real services."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from purchase_orders import services as po_services
from purchase_orders.services import NewPurchaseOrder

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def new_po(
    number: str = "PO-1",
    amount: str = "1000000",
    *,
    valid_from: date | None = None,
    valid_to: date | None = None,
    document=None,
) -> NewPurchaseOrder:
    """A PO valid from a year ago to a year ahead, large enough for any test quote."""
    today = timezone.localdate()
    return NewPurchaseOrder(
        number=number,
        amount=Decimal(amount),
        valid_from=valid_from or today - timedelta(days=365),
        valid_to=valid_to or today + timedelta(days=365),
        document=document,
    )


def new_po_fields(number: str = "PO-1", amount: str = "1000000") -> dict[str, str]:
    """The accept form's fields for a new PO (as a browser posts them)."""
    today = timezone.localdate()
    return {
        "po_number": number,
        "po_amount": amount,
        "po_valid_from": (today - timedelta(days=365)).isoformat(),
        "po_valid_to": (today + timedelta(days=365)).isoformat(),
    }


def purchase_order(account, contact, number: str = "PO-1", amount: str = "1000000", **kwargs):
    return po_services.purchase_order_create(
        account=account, actor=contact, new=new_po(number, amount, **kwargs)
    )
