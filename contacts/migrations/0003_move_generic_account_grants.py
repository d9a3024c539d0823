"""Moves every generic guardian grant on ``Account`` into the direct foreign-key tables.

The generic tables keep the object's key as text; the direct ones as an integer foreign key.
Grants on other models (none today) stay where they are. Reversible: the rows move back."""

from django.db import migrations

BATCH = 5000


def _ctype_filter():
    return {"content_type__app_label": "contacts", "content_type__model": "account"}


def forwards(apps, schema_editor):
    generic_group = apps.get_model("guardian", "GroupObjectPermission")
    generic_user = apps.get_model("guardian", "UserObjectPermission")
    direct_group = apps.get_model("contacts", "AccountGroupObjectPermission")
    direct_user = apps.get_model("contacts", "AccountUserObjectPermission")
    account_ids = set(apps.get_model("contacts", "Account").objects.values_list("pk", flat=True))
    for generic, direct, holder in (
        (generic_group, direct_group, "group_id"),
        (generic_user, direct_user, "user_id"),
    ):
        rows = generic.objects.filter(**_ctype_filter())
        batch = []
        for holder_id, permission_id, object_pk in rows.values_list(
            holder, "permission_id", "object_pk"
        ).iterator(chunk_size=BATCH):
            if int(object_pk) not in account_ids:
                continue  # a grant on a deleted account: nothing to keep
            batch.append(
                direct(
                    **{holder: holder_id},
                    permission_id=permission_id,
                    content_object_id=int(object_pk),
                )
            )
            if len(batch) >= BATCH:
                direct.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        direct.objects.bulk_create(batch, ignore_conflicts=True)
        rows.delete()


def backwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ctype = ContentType.objects.filter(app_label="contacts", model="account").first()
    if ctype is None:
        return
    for direct, generic, holder in (
        (
            apps.get_model("contacts", "AccountGroupObjectPermission"),
            apps.get_model("guardian", "GroupObjectPermission"),
            "group_id",
        ),
        (
            apps.get_model("contacts", "AccountUserObjectPermission"),
            apps.get_model("guardian", "UserObjectPermission"),
            "user_id",
        ),
    ):
        generic.objects.bulk_create(
            [
                generic(
                    **{holder: holder_id},
                    permission_id=permission_id,
                    content_type_id=ctype.pk,
                    object_pk=str(object_id),
                )
                for holder_id, permission_id, object_id in direct.objects.values_list(
                    holder, "permission_id", "content_object_id"
                )
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        direct.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0002_direct_account_permissions"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
