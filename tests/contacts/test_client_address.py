"""Behind the TLS proxy, throttling and the audit trail see the client's address as the trusted
proxies forwarded it: not the proxy's own (everybody would share one lockout), and not whatever
the client wrote into X-Forwarded-For itself."""

from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from audit.services import client_ip
from tests import factories

CORP_LOGIN = reverse("contacts:corporate_login")
PROXY = "10.9.9.9"


def _via_proxy(client, forwarded_for, password="wrong-password-1"):
    return client.post(
        CORP_LOGIN,
        {"username": "alpha.controller", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_client_ip_takes_the_entry_the_nth_trusted_proxy_wrote(settings):
    rf = RequestFactory()
    cases = [
        # (trusted proxies, X-Forwarded-For as received, REMOTE_ADDR, the client's address)
        (0, "6.6.6.6", PROXY, PROXY),  # no proxy configured: the header is the client's words
        (1, "6.6.6.6, 203.0.113.7", PROXY, "203.0.113.7"),  # forged leftmost entry ignored
        (1, "203.0.113.7", PROXY, "203.0.113.7"),
        (2, "6.6.6.6, 203.0.113.7, 172.16.0.2", PROXY, "203.0.113.7"),
        (2, "203.0.113.7", PROXY, "203.0.113.7"),  # fewer entries: the outermost proxy's
        (1, "", PROXY, PROXY),  # reached directly, no header
        (1, "6.6.6.6, not-an-address", PROXY, PROXY),  # garbage is never recorded
        (1, "6.6.6.6, 2001:db8::7", PROXY, "2001:db8::7"),
    ]
    seen = []
    for count, forwarded, remote, _ in cases:
        settings.TRUSTED_PROXY_COUNT = count
        request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
        seen.append((count, forwarded, remote, client_ip(request)))
    assert seen == cases


def test_behind_one_proxy_the_forwarded_address_is_throttled_and_audited(world, settings, client):
    # Given one trusted proxy in front of the app
    settings.TRUSTED_PROXY_COUNT = 1
    # When a sign-in fails through it, with a forged leftmost X-Forwarded-For entry
    response = _via_proxy(client, "6.6.6.6, 203.0.113.7")
    # Then the audit trail and the lockout both hold the address the proxy forwarded
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.ip_address == "203.0.113.7"
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [
        ("alpha.controller", "203.0.113.7")
    ]


def test_an_attackers_failures_do_not_lock_the_user_out_from_another_address(
    world, settings, client
):
    # Given one trusted proxy, and an attacker at 203.0.113.66 failing five times through it,
    # each time with another forged leftmost entry
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        _via_proxy(client, f"6.6.6.{n}, 203.0.113.66")
    # When the contact signs in from their own address through the same proxy
    contact = Client()
    response = _via_proxy(contact, "198.51.100.5", password=factories.PASSWORD)
    # Then they are in, and the attacker's address is still locked
    assert response.status_code == 302
    assert int(contact.session[SESSION_KEY]) == world.contact_a2.pk
    locked = _via_proxy(Client(), "9.9.9.9, 203.0.113.66", password=factories.PASSWORD)
    assert locked.status_code == 429
