import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from guardian.admin import GuardedModelAdminMixin
from guardian.models import GroupObjectPermission, UserObjectPermission

from audit.models import AuditAction, AuditEvent
from contacts import permissions
from contacts.models import Membership
from tests import factories
from tests.security.snapshot import db_snapshot


@pytest.mark.parametrize(
    "role", ["member_a", "contact_a", "contact_b", "rep_a", "rep_b", "deal_desk", "finance"]
)
def test_admin_is_closed_to_everyone_but_administrators(role, world, client):
    # Given a signed-in person who is not an administrator
    client.force_login(world.user(role), backend="contacts.backends.LoginIdBackend")
    # When they open the admin and an account's change page
    index = client.get(reverse("admin:index"))
    change = client.get(reverse("admin:contacts_account_change", args=[world.a.pk]))
    # Then they are sent to the admin sign-in, and see nothing
    assert index.status_code == 302 and "/admin/login/" in index["Location"]
    assert change.status_code == 302 and "/admin/login/" in change["Location"]


def test_administrator_reaches_the_admin(db, client):
    from tests.factories import staff

    admin = staff("administrator", is_staff=True, is_superuser=True)
    client.force_login(admin, backend="contacts.backends.LoginIdBackend")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:contacts_membership_add")).status_code == 200


# --- The admin cannot bypass contacts.permissions ------------------------------------------------


@pytest.fixture
def admin_client(db, client):
    from tests.factories import staff

    client.force_login(
        staff("administrator", username="admin", is_staff=True, is_superuser=True),
        backend="contacts.backends.LoginIdBackend",
    )
    return client


def _admin_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_adding_a_membership_in_the_admin_grants_audits_and_ends_on_it(world, admin_client):
    # Given a person with no role on account B
    newcomer = factories.UserFactory(username="new.member")
    # When an administrator adds them to B as a member in the admin ("Save and continue")
    response = admin_client.post(
        reverse("admin:contacts_membership_add"),
        {"account": world.b.pk, "user": newcomer.pk, "role": "member", "_continue": "1"},
    )
    # Then the membership exists, with its guardian grant and an audit event naming the admin
    membership = Membership.objects.get(account=world.b, user=newcomer)
    assert permissions.account_permissions(newcomer, world.b) == frozenset({"view_account"})
    event = AuditEvent.objects.get(
        action=AuditAction.PERMISSION_GRANTED, object_id=str(newcomer.pk)
    )
    assert (event.account, event.actor_login) == (world.b, "admin")
    # And the admin lands on that membership's page, told it was added, with no error
    change_url = reverse("admin:contacts_membership_change", args=[membership.pk])
    assert (response.status_code, response["Location"]) == (302, change_url)
    landing = admin_client.get(change_url)
    assert landing.status_code == 200
    assert landing.context["original"] == membership
    (message,) = _admin_messages(landing)
    assert "was added successfully" in message
    assert "doesn’t exist" not in message


def test_changing_a_membership_role_in_the_admin_goes_through_the_services(world, admin_client):
    # Given the member of A
    membership = Membership.objects.get(account=world.a, user=world.member_a)
    # When an administrator makes them a billing contact in the admin
    response = admin_client.post(
        reverse("admin:contacts_membership_change", args=[membership.pk]),
        {"role": "billing_contact", "_save": "1"},
    )
    # Then their rights on A are a billing contact's, and the trail shows revoke and grant
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "billing_contact"
    assert "approve_quote" in permissions.account_permissions(world.member_a, world.a)
    trail = AuditEvent.objects.filter(
        object_id=str(world.member_a.pk), actor_login="admin"
    ).values_list("action", "account")
    assert sorted(trail) == [
        (AuditAction.PERMISSION_GRANTED, world.a.pk),
        (AuditAction.PERMISSION_REVOKED, world.a.pk),
    ]


def test_the_admin_cannot_demote_the_primary_billing_contact(world, admin_client):
    # Given the primary billing contact of A
    membership = Membership.objects.get(account=world.a, user=world.contact_a)
    before = db_snapshot()
    # When an administrator tries to make them a mere member
    response = admin_client.post(
        reverse("admin:contacts_membership_change", args=[membership.pk]),
        {"role": "member", "_save": "1"},
    )
    # Then the form says why not, and nothing changed
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["role"] == [
        "The primary billing contact stays a billing contact: make another contact primary first."
    ]
    assert db_snapshot() == before


def test_the_user_admin_edits_no_groups_or_permissions(world, admin_client):
    # Given a per-account group and the change page of a member of account A
    group = Group.objects.get(name=f"account:{world.b.pk}:billing_contact")
    url = reverse("admin:contacts_user_change", args=[world.member_a.pk])
    form = admin_client.get(url).context["adminform"].form
    # Then the form has no groups or permissions to edit
    assert "groups" not in form.fields
    assert "user_permissions" not in form.fields
    # When a crafted POST sends them anyway
    data = {
        "username": world.member_a.username,
        "email": world.member_a.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "groups": [group.pk],
        "user_permissions": [Permission.objects.get(codename="approve_quote").pk],
    }
    response = admin_client.post(url, data)
    # Then the user is saved without them: no group on B, no model-level permission
    assert response.status_code == 302
    assert list(world.member_a.groups.values_list("name", flat=True)) == [
        f"account:{world.a.pk}:member"
    ]
    assert not world.member_a.user_permissions.exists()
    assert permissions.account_permissions(world.member_a, world.b) == frozenset()


def test_per_account_groups_cannot_be_edited_in_the_admin(world, admin_client):
    # Given the billing-contact group of account A
    group = Group.objects.get(name=f"account:{world.a.pk}:billing_contact")
    before = db_snapshot()
    url = f"/admin/auth/group/{group.pk}/change/"
    # When an administrator opens it and posts a change (another name, a model permission)
    page = admin_client.get(url)
    response = admin_client.post(
        url,
        {"name": "renamed", "permissions": [Permission.objects.get(codename="approve_quote").pk]},
    )
    # Then there is no such page, and nothing changed
    assert (page.status_code, response.status_code) == (404, 404)
    assert db_snapshot() == before
    assert not group.permissions.exists()


def test_no_admin_page_edits_groups_or_object_permissions():
    # guardian's object-permission pages come from its GuardedModelAdmin mixin; none is used.
    for model in (Group, Permission, GroupObjectPermission, UserObjectPermission):
        assert not admin.site.is_registered(model), model
    for model in [m for m in apps.get_models() if admin.site.is_registered(m)]:
        model_admin = admin.site.get_model_admin(model)
        assert not isinstance(model_admin, GuardedModelAdminMixin), model
