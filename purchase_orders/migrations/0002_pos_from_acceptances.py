"""The free-text PO numbers of earlier acceptances become ledger entries.

One PO per (account, number) already used, marked ``created_from_acceptance``: its amount is what
those acceptances drew (so nothing more can be charged to it until a change raises it), valid
from the first to the last acceptance date, created by whoever accepted first. The acceptances
are linked to it. Reversing unlinks them and deletes those POs only.
"""

from collections import defaultdict
from decimal import Decimal

from django.db import migrations


def forwards(apps, schema_editor):
    Acceptance = apps.get_model("quotes", "Acceptance")
    PurchaseOrder = apps.get_model("purchase_orders", "PurchaseOrder")
    groups = defaultdict(list)
    rows = (
        Acceptance.objects.filter(purchase_order__isnull=True)
        .exclude(po_number="")
        .select_related("revision__quote__account")
        .order_by("accepted_at", "id")
    )
    for acceptance in rows.iterator(chunk_size=500):
        number = acceptance.po_number.strip()[:60]
        if number:
            groups[(acceptance.revision.quote.account_id, number)].append(acceptance)
    for (account_id, number), acceptances in groups.items():
        account = acceptances[0].revision.quote.account
        dates = [a.accepted_at.date() for a in acceptances]
        po = PurchaseOrder.objects.create(
            account_id=account_id,
            number=number,
            currency=account.currency,
            amount=sum((a.revision.total for a in acceptances), start=Decimal(0)),
            valid_from=min(dates),
            valid_to=max(dates),
            status="active",
            created_from_acceptance=True,
            created_by_id=acceptances[0].accepted_by_id,
            created_at=acceptances[0].accepted_at,
        )
        Acceptance.objects.filter(pk__in=[a.pk for a in acceptances]).update(purchase_order=po)


def backwards(apps, schema_editor):
    Acceptance = apps.get_model("quotes", "Acceptance")
    PurchaseOrder = apps.get_model("purchase_orders", "PurchaseOrder")
    migrated = PurchaseOrder.objects.filter(
        created_from_acceptance=True, changes__isnull=True, documents__isnull=True
    )
    Acceptance.objects.filter(purchase_order__in=migrated).update(purchase_order=None)
    migrated.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("purchase_orders", "0001_initial"),
        ("quotes", "0005_acceptance_purchase_order"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
