"""The account lists' order (staff home, a customer's accounts): name, then id.

Declared in SQL so ``Account``'s model class stays as it is; portable to SQLite and PostgreSQL."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_move_generic_account_grants")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX contacts_account_list_order ON contacts_account (name, id)",
            "DROP INDEX IF EXISTS contacts_account_list_order",
        ),
    ]
