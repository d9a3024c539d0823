"""The ledger, the PO page and "My tasks" issue the same number of queries whatever the number of
POs, changes and documents: measured with a few and with many, per role, after a warm-up."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from purchase_orders.models import (
    ChangeStatus,
    PurchaseOrder,
    PurchaseOrderChange,
    PurchaseOrderDocument,
)
from tests import po_builders as pb
from tests.quotes.test_query_counts import assert_constant, measure
from workflows import services as flow_services

FEW, MANY = 3, 120


def bulk_pos(account, user, count: int, start: int) -> list[PurchaseOrder]:
    today = timezone.localdate()
    return PurchaseOrder.objects.bulk_create(
        [
            PurchaseOrder(
                account=account,
                number=f"BULK-{start + i}",
                currency=account.currency,
                amount=Decimal(1000 + i),
                valid_from=today - timedelta(days=10),
                valid_to=today + timedelta(days=i),
                created_by=user,
            )
            for i in range(count)
        ]
    )


def bulk_changes(po, user, count: int, start: int) -> None:
    PurchaseOrderChange.objects.bulk_create(
        [
            PurchaseOrderChange(
                purchase_order=po,
                number=po.number,
                amount=Decimal(2000 + start + i),
                valid_from=po.valid_from,
                valid_to=po.valid_to,
                reason=f"change {start + i}",
                base_version=1,
                status=ChangeStatus.REJECTED if i % 2 else ChangeStatus.APPROVED,
                before={"number": po.number, "amount": "1.00", "valid_from": "", "valid_to": ""},
                after={"number": po.number, "amount": "2.00", "valid_from": "", "valid_to": ""},
                proposed_by=user,
                decided_by=user,
                decided_at=timezone.now(),
            )
            for i in range(count)
        ]
    )


def bulk_documents(po, user, count: int, start: int) -> None:
    PurchaseOrderDocument.objects.bulk_create(
        [
            PurchaseOrderDocument(
                purchase_order=po,
                stored_name=f"po/bulk-{po.pk}-{start + i}.pdf",
                original_name=f"v{start + i}.pdf",
                size=100,
                sha256="0" * 64,
                uploaded_by=user,
            )
            for i in range(count)
        ]
    )


@pytest.mark.parametrize("role", ["contact_a", "rep_a", "finance"])
@pytest.mark.parametrize("page", ["ledger", "list"])
def test_ledger_queries_do_not_grow_with_pos(world, login, role, page):
    client = login(getattr(world, role))
    url = (
        reverse("purchase_orders:ledger", args=[world.a.number])
        if page == "ledger"
        else reverse("purchase_orders:list")
    )
    first = pb.purchase_order(world.a, world.contact_a, "PO-REAL", "50000")
    flow_services.po_change_propose(
        purchase_order=first,
        actor=world.contact_a,
        base_version=1,
        number=first.number,
        amount=Decimal("60000"),
        valid_from=first.valid_from,
        valid_to=first.valid_to,
        reason="more",
    )
    bulk_pos(world.a, world.contact_a, FEW, 0)
    measure(client, url)  # warm-up
    _, few = measure(client, url)
    bulk_pos(world.a, world.contact_a, MANY - FEW, FEW)
    _, many = measure(client, url)
    assert_constant(few, many)


@pytest.mark.parametrize("role", ["contact_a", "rep_a", "finance"])
def test_po_page_queries_do_not_grow_with_changes_and_documents(world, login, role):
    client = login(getattr(world, role))
    po = pb.purchase_order(world.a, world.contact_a, "PO-HIST", "50000")
    url = reverse("purchase_orders:detail", args=[po.pk])
    bulk_changes(po, world.rep_a, FEW, 0)
    bulk_documents(po, world.contact_a, FEW, 0)
    measure(client, url)
    _, few = measure(client, url)
    bulk_changes(po, world.rep_a, MANY - FEW, FEW)
    bulk_documents(po, world.contact_a, MANY - FEW, FEW)
    _, many = measure(client, url)
    assert_constant(few, many)


def test_inbox_queries_do_not_grow_with_po_change_tasks(world, login):
    client = login(world.rep_a)
    url = reverse("workflows:inbox")
    pos = bulk_pos(world.a, world.contact_a, 12, 0)

    def propose(po):
        flow_services.po_change_propose(
            purchase_order=po,
            actor=world.contact_a,
            base_version=1,
            number=po.number,
            amount=po.amount + 1,
            valid_from=po.valid_from,
            valid_to=po.valid_to,
            reason="more",
        )

    for po in pos[:2]:
        propose(po)
    measure(client, url)
    _, few = measure(client, url)
    for po in pos[2:]:
        propose(po)
    response, many = measure(client, url)
    assert response.content.decode().count("Approve or reject the PO change") == 12
    assert_constant(few, many)
