"""The demo data shows every PO feature at once, and seeding twice changes nothing."""

from django.core.management import call_command

from contacts.models import Account
from purchase_orders.models import ChangeStatus, PurchaseOrder, PurchaseOrderChange
from purchase_orders.selectors import flags, with_figures


def test_seed_demo_gives_pos_in_every_state_with_history_and_a_pending_change(db):
    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    acme = Account.objects.get(number="OV-1002345")
    pos = {po.number: flags(po) for po in with_figures(PurchaseOrder.objects.filter(account=acme))}
    assert pos["ACME-PO-2026-001"]["status"] == "active"
    assert pos["ACME-PO-2026-002"]["nearly_used"]
    assert pos["ACME-PO-2026-003"]["near_expiry"]
    assert pos["ACME-PO-2025-009"]["status"] == "expired"
    assert all(f["drawn"] > 0 for f in pos.values())
    statuses = sorted(PurchaseOrderChange.objects.values_list("status", flat=True))
    assert statuses == sorted(
        [
            ChangeStatus.APPROVED,
            ChangeStatus.APPROVED,
            ChangeStatus.REJECTED,
            ChangeStatus.PENDING,
        ]
    )
    assert PurchaseOrder.objects.filter(account__number="OV-1002346").count() == 1
    # Running it again creates nothing more
    count = PurchaseOrder.objects.count()
    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert PurchaseOrder.objects.count() == count
