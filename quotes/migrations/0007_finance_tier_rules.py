"""Two default rules that finance approves, after deal desk: big discounts and big totals."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    ("Line discount over 30% (finance)", "line_discount", Decimal("30"), "finance"),
    ("Total over 500,000 (finance)", "total_amount", Decimal("500000"), "finance"),
]


def create(apps, schema_editor):
    rule = apps.get_model("quotes", "ApprovalRule")
    for name, kind, threshold, tier in DEFAULTS:
        rule.objects.get_or_create(
            kind=kind, threshold=threshold, tier=tier, defaults={"name": name}
        )


def remove(apps, schema_editor):
    rule = apps.get_model("quotes", "ApprovalRule")
    for _name, kind, threshold, tier in DEFAULTS:
        rule.objects.filter(kind=kind, threshold=threshold, tier=tier).delete()


class Migration(migrations.Migration):
    dependencies = [("quotes", "0006_approval_tiers_and_second_acceptance")]
    operations = [migrations.RunPython(create, remove)]
