from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.models import GroupObjectPermission, UserObjectPermission

from contacts import permissions
from contacts.models import AccountGroupObjectPermission, AccountUserObjectPermission


def test_grants_live_in_the_direct_foreign_key_tables(world):
    # Given the world's role grants (written by contacts.permissions)
    # Then every Account grant is a direct row and none is generic
    assert AccountGroupObjectPermission.objects.filter(content_object=world.a).exists()
    assert not GroupObjectPermission.objects.exists()
    assert not UserObjectPermission.objects.exists()
    # And guardian's own checks find them
    assert world.contact_a.has_perm("contacts.approve_quote", world.a)
    assert not world.contact_a.has_perm("contacts.approve_quote", world.b)


def test_scoped_reads_join_on_integer_keys(world, django_capture_on_commit_callbacks):
    # When the accounts of a contact are read, the first time
    with (
        django_capture_on_commit_callbacks(execute=True),
        CaptureQueriesContext(connection) as first,
    ):
        accounts = list(permissions.accounts_with_permission(world.contact_a, "approve_quote"))
    # Then the grants are read from the direct tables, with no text cast of the account id
    assert accounts == [world.a]
    grants_sql = first[0]["sql"]
    assert "object_pk" not in grants_sql
    assert "contacts_accountgroupobjectpermission" in grants_sql
    # And the next time it is one query on the accounts by their integer keys alone
    with CaptureQueriesContext(connection) as again:
        assert list(permissions.accounts_with_permission(world.contact_a, "approve_quote")) == [
            world.a
        ]
    assert len(again) == 1
    assert "permission" not in again[0]["sql"]


def test_a_direct_user_grant_counts(world):
    from guardian.shortcuts import assign_perm

    # Given a hand-made direct user grant (never made by the product)
    assign_perm("contacts.draft_quote", world.member_a, world.a)
    # Then it is a direct row and both readers see it
    assert AccountUserObjectPermission.objects.filter(user=world.member_a).count() == 1
    assert "draft_quote" in permissions.account_permissions(world.member_a, world.a)
    assert list(permissions.accounts_with_permission(world.member_a, "draft_quote")) == [world.a]
