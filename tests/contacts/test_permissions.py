import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from contacts import demo, permissions, services
from contacts.models import Membership, MembershipRole, User

TENANT_APPS = ("contacts", "quotes", "purchase_orders", "workflows", "audit")


def test_no_customer_holds_a_model_level_permission(world):
    # Given the demo data and the test world are loaded
    demo.load(progress=lambda line: None)
    customers = User.objects.filter(staff_role="", is_superuser=False)
    assert customers.count() >= 10
    for user in customers:
        # Then no global permission on any tenant model is held, directly or by group
        user = User.objects.get(pk=user.pk)  # fresh permission cache
        tenant_perms = {p for p in user.get_all_permissions() if p.split(".")[0] in TENANT_APPS}
        assert tenant_perms == set(), user.username
        assert not user.user_permissions.exists()
    assert not Group.objects.filter(permissions__isnull=False).exists()


def test_tenant_models_are_listed_for_the_check():
    # The check above is only meaningful if the tenant apps have models.
    assert any(m._meta.app_label == "contacts" for m in apps.get_models())


def test_role_grants_are_object_permissions_on_the_account(world):
    assert permissions.account_permissions(world.contact_a, world.a) >= {
        "view_account",
        "approve_quote",
        "manage_billing_contacts",
    }
    assert permissions.account_permissions(world.contact_a, world.b) == frozenset()
    assert permissions.account_permissions(world.member_a, world.a) == {"view_account"}
    assert "draft_quote" in permissions.account_permissions(world.rep_a, world.a)
    assert permissions.account_permissions(world.rep_a, world.b) == frozenset()
    assert "approve_deal" in permissions.account_permissions(world.deal_desk, world.b)
    assert "approve_quote" not in permissions.account_permissions(world.deal_desk, world.b)


def test_superuser_does_not_gain_customer_rights(db):
    from tests.factories import AccountFactory, staff

    admin = staff("administrator", is_staff=True, is_superuser=True)
    account = AccountFactory()
    assert "approve_quote" not in permissions.account_permissions(admin, account)


def test_removing_a_contact_revokes_access_and_ends_sessions(world):
    # Given the second contact of A is signed in
    client = Client()
    client.force_login(world.contact_a2, backend="contacts.backends.LoginIdBackend")
    home = reverse("contacts:account_home", args=[world.a.number])
    assert client.get(home).status_code == 200
    # When they are removed
    membership = Membership.objects.get(account=world.a, user=world.contact_a2)
    services.membership_remove(membership=membership, actor=world.rep_a)
    # Then the grant is gone, the session is over and the audit trail says so
    assert permissions.account_permissions(world.contact_a2, world.a) == frozenset()
    assert client.get(home).status_code == 302
    assert AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_REVOKED, account=world.a, object_id=str(world.contact_a2.pk)
    ).exists()


def test_the_last_billing_contact_cannot_be_removed(world):
    membership = Membership.objects.get(account=world.b, user=world.contact_b)
    with pytest.raises(ValidationError):
        services.membership_remove(membership=membership)
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert "approve_quote" in permissions.account_permissions(world.contact_b, world.b)


def test_grant_writes_an_audit_event(world):
    event = AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_GRANTED, account=world.a, object_id=str(world.member_a.pk)
    ).get()
    assert event.after["role"] == MembershipRole.MEMBER


def test_audit_events_are_append_only(world):
    event = AuditEvent.objects.first()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(message="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_login_id_is_unique_case_insensitively(db):
    from django.db import IntegrityError, transaction

    User.objects.create_user(username="acme.ap", password="x-long-password")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="ACME.AP", password="x-long-password")
