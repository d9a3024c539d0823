from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    ("Line discount over 15%", "line_discount", Decimal("15")),
    ("Whole-quote discount over 10%", "quote_discount", Decimal("10")),
    ("Total over 100,000", "total_amount", Decimal("100000")),
]


def create(apps, schema_editor):
    rule = apps.get_model("quotes", "ApprovalRule")
    for name, kind, threshold in DEFAULTS:
        rule.objects.get_or_create(kind=kind, threshold=threshold, defaults={"name": name})


def remove(apps, schema_editor):
    rule = apps.get_model("quotes", "ApprovalRule")
    for _name, kind, threshold in DEFAULTS:
        rule.objects.filter(kind=kind, threshold=threshold).delete()


class Migration(migrations.Migration):
    dependencies = [("quotes", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
