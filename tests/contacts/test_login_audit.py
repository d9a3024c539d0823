"""Every sign-in is audited once, whichever door it came through: the portals or the admin."""

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from tests import factories

PW = factories.PASSWORD


def _sign_ins(action):
    return list(
        AuditEvent.objects.filter(action=action).values_list("actor_login", "message", "ip_address")
    )


def test_each_sign_in_writes_exactly_one_audit_event_portal_and_admin(world):
    # Given an administrator
    admin = factories.staff("administrator", username="admin", is_staff=True, is_superuser=True)
    # When a billing contact signs in to the portal
    portal = Client(REMOTE_ADDR="192.0.2.10")
    response = portal.post(
        reverse("contacts:corporate_login"), {"username": "alpha.controller", "password": PW}
    )
    assert response.status_code == 302
    # And the administrator signs in to the admin
    admin_client = Client(REMOTE_ADDR="192.0.2.20")
    response = admin_client.post(
        reverse("admin:login"),
        {"username": "ADMIN", "password": PW, "next": reverse("admin:index")},
    )
    assert response.status_code == 302
    assert int(admin_client.session[SESSION_KEY]) == admin.pk
    # Then the trail has one event for each, saying where they signed in and from where
    assert _sign_ins(AuditAction.LOGIN_SUCCEEDED) == [
        ("admin", "portal=admin", "192.0.2.20"),
        ("alpha.controller", "portal=corporate", "192.0.2.10"),
    ]


def test_a_failed_admin_sign_in_is_audited(world):
    # Given an administrator
    factories.staff("administrator", username="admin", is_staff=True, is_superuser=True)
    # When someone tries a wrong password in the admin
    response = Client(REMOTE_ADDR="192.0.2.30").post(
        reverse("admin:login"),
        {"username": "admin", "password": "wrong-password-1", "next": reverse("admin:index")},
    )
    # Then they are not in, and the trail records the attempt once
    assert response.status_code == 200
    assert _sign_ins(AuditAction.LOGIN_FAILED) == [("admin", "portal=admin", "192.0.2.30")]
