"""Indexes for the quote list's search and status filter.

Search is "contains" (people type part of a title, the digits of a quote number, part of an
account's name), which a B-tree cannot serve. On PostgreSQL a trigram GIN index (pg_trgm) can,
for terms of three characters or more: Django's ``icontains`` compares ``UPPER(column::text)``,
so each index is on that expression. SQLite has no such index; there the search scans the
person's quotes, which is fine at the sizes SQLite is used for (development and tests).
"""

from django.db import migrations, models

TRIGRAM_INDEXES = {
    "quote_number_trgm": ("quotes_quote", "number"),
    "quote_title_trgm": ("quotes_quote", "title"),
    "account_number_trgm": ("contacts_account", "number"),
    "account_name_trgm": ("contacts_account", "name"),
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0003_move_generic_account_grants"),
        ("quotes", "0008_title_counted_stamped"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="quoterevision",
            index=models.Index(fields=["status"], name="revision_by_status"),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
