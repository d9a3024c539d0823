import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_accounts(apps, schema_editor):
    QuoteProcess = apps.get_model("workflows", "QuoteProcess")
    Quote = apps.get_model("quotes", "Quote")
    account = Quote.objects.filter(pk=OuterRef("quote_id")).values("account_id")[:1]
    QuoteProcess.objects.update(account_id=Subquery(account))


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0001_initial"),
        ("quotes", "0004_list_indexes"),
        ("workflows", "0002_open_task_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="quoteprocess",
            name="account",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contacts.account",
            ),
        ),
        migrations.RunPython(copy_accounts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="quoteprocess",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contacts.account",
            ),
        ),
    ]
