"""The data migration turns the free-text PO numbers of earlier acceptances into ledger
entries marked as created from an acceptance, and links the acceptances to them."""

import importlib
from decimal import Decimal

from django.apps import apps

from purchase_orders.models import PurchaseOrder
from quotes.models import Acceptance
from tests import quote_builders as qb
from workflows import services as flow_services

migration = importlib.import_module("purchase_orders.migrations.0002_pos_from_acceptances")


def _legacy_acceptance(account, contact, rep, po_number: str) -> Acceptance:
    quote = qb.sent_quote(account, rep)
    flow_services.quote_accept(quote=quote, actor=contact)
    acceptance = Acceptance.objects.get(revision__quote=quote)
    # As acceptances were stored before the ledger: free text, no PO.
    Acceptance.objects.filter(pk=acceptance.pk).update(po_number=po_number)
    return acceptance


def test_free_text_po_numbers_become_ledger_entries(world):
    b = world.b
    first = _legacy_acceptance(b, world.contact_b, world.rep_b, "LEGACY-1")
    second = _legacy_acceptance(b, world.contact_b, world.rep_b, " LEGACY-1 ")
    third = _legacy_acceptance(b, world.contact_b, world.rep_b, "LEGACY-2")
    untouched = _legacy_acceptance(b, world.contact_b, world.rep_b, "")

    migration.forwards(apps, None)

    legacy1 = PurchaseOrder.objects.get(account=b, number="LEGACY-1")
    legacy2 = PurchaseOrder.objects.get(account=b, number="LEGACY-2")
    assert PurchaseOrder.objects.count() == 2
    # the amount is what those acceptances drew, in the account's currency
    assert (legacy1.amount, legacy1.currency, legacy1.created_from_acceptance) == (
        Decimal("4800.0000"),
        "EUR",
        True,
    )
    assert legacy1.created_by == world.contact_b
    assert legacy2.amount == Decimal("2400.0000")
    links = dict(Acceptance.objects.values_list("pk", "purchase_order"))
    assert links == {
        first.pk: legacy1.pk,
        second.pk: legacy1.pk,
        third.pk: legacy2.pk,
        untouched.pk: None,
    }
    # Running it again finds nothing left to migrate
    migration.forwards(apps, None)
    assert PurchaseOrder.objects.count() == 2
    # And reversing removes exactly those POs
    migration.backwards(apps, None)
    assert PurchaseOrder.objects.count() == 0
    assert set(Acceptance.objects.values_list("purchase_order", flat=True)) == {None}
