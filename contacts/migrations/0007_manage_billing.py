"""``manage_billing``: the Billing Center's writes (plans, seats, billing frequency, payment
methods), held by billing contacts only (representatives and staff read with ``view_billing``).

New per-account groups get it from ``contacts.permissions.ROLE_PERMISSIONS`` when they are
created; this migration grants it to the billing-contact groups that already exist, as migration
0003 moved grants: the permission row is created here because ``post_migrate`` (which normally
creates it) runs only after every migration."""

from django.db import migrations

CODENAME = "manage_billing"
NAME = "Manage Billing Center plans, payment methods and frequency"
BATCH = 5000


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    Direct = apps.get_model("contacts", "AccountGroupObjectPermission")
    ctype, _ = ContentType.objects.get_or_create(app_label="contacts", model="account")
    permission, _ = Permission.objects.get_or_create(
        content_type=ctype, codename=CODENAME, defaults={"name": NAME}
    )
    batch = []
    # Group names are "account:<pk>:<role>" (contacts.permissions._group_name).
    groups = Group.objects.filter(name__startswith="account:", name__endswith=":billing_contact")
    for pk, name in groups.values_list("pk", "name").iterator(chunk_size=BATCH):
        account_id = int(name.split(":")[1])
        batch.append(Direct(group_id=pk, permission_id=permission.pk, content_object_id=account_id))
        if len(batch) >= BATCH:
            Direct.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Direct.objects.bulk_create(batch, ignore_conflicts=True)


def backwards(apps, schema_editor):
    Direct = apps.get_model("contacts", "AccountGroupObjectPermission")
    Direct.objects.filter(permission__codename=CODENAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0006_contactchange"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="account",
            options={
                "ordering": ["name"],
                "permissions": [
                    ("view_billing", "View billing information"),
                    ("manage_billing", NAME),
                    ("approve_quote", "Accept, reject or request changes on quotes"),
                    ("propose_po_change", "Propose purchase-order changes"),
                    ("manage_billing_contacts", "Propose billing-contact changes"),
                    ("draft_quote", "Draft and send quotes"),
                    ("review_po_change", "Review purchase-order changes"),
                    ("review_contact_change", "Confirm billing-contact changes"),
                    ("approve_deal", "Approve quotes that cross an approval rule"),
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
