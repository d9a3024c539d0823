"""Stores every login ID in its normal form (NFKC, case-folded), which is what sign-in now looks up
exactly. Refuses to run if two existing IDs share a normal form: an operator must decide which
person keeps it."""

import unicodedata

from django.db import migrations


def _normal(value: str) -> str:
    # A frozen copy of contacts.validators.normalise_login_id as it was when this ran.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value.strip()).casefold())


def normalise_usernames(apps, schema_editor):
    User = apps.get_model("contacts", "User")
    rows = list(User.objects.values_list("pk", "username"))
    owners = {}
    for pk, username in rows:
        normal = _normal(username)
        if normal in owners:
            raise RuntimeError(
                f"User IDs {owners[normal]!r} and {username!r} are the same login ID once "
                "normalised; rename one of them, then migrate again."
            )
        owners[normal] = username
    for pk, username in rows:
        if _normal(username) != username:
            User.objects.filter(pk=pk).update(username=_normal(username))


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [migrations.RunPython(normalise_usernames, migrations.RunPython.noop)]
