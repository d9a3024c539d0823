import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from audit.models import AuditAction, AuditEvent
from contacts.forms import INVALID_LOGIN_EXPLANATION, INVALID_LOGIN_MESSAGE
from contacts.models import AccountKind
from tests import factories
from tests.contacts.hashers import CountingHasher

CORP_LOGIN = reverse("contacts:corporate_login")
BC_LOGIN = reverse("contacts:login")
PW = factories.PASSWORD


def _normalised(response, typed_id: str) -> str:
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", body)
    return body.replace(typed_id, "TYPED-ID")


def test_billing_contact_signs_in_with_user_id_in_any_case(world, client):
    # When the contact types their User ID in upper case
    response = client.post(CORP_LOGIN, {"username": "AP@ALPHA.EXAMPLE", "password": PW})
    # Then they are in, and land on their account home
    assert response.status_code == 302
    home = client.get(response["Location"], follow=True)
    assert home.redirect_chain[-1][0] == reverse("contacts:account_home", args=[world.a.number])
    assert AuditEvent.objects.filter(
        action=AuditAction.LOGIN_SUCCEEDED, actor=world.contact_a
    ).exists()


def test_user_name_format_id_signs_in(world, client):
    response = client.post(CORP_LOGIN, {"username": "alpha.controller", "password": PW})
    assert response.status_code == 302


@pytest.mark.parametrize("bad_id", ["a", "acme ap", "ap@", "<script>", "ap@@acme.example"])
def test_malformed_user_id_is_explained(bad_id, world, client):
    response = client.post(CORP_LOGIN, {"username": bad_id, "password": PW})
    assert response.status_code == 200
    assert "Enter your User ID in user-name format" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_wrong_password_and_not_a_contact_get_one_identical_answer(world, settings):
    # Given a self-service billing contact (not a corporate contact)
    settings.PASSWORD_HASHERS = ["tests.contacts.hashers.CountingHasher"]
    selfserv = factories.AccountFactory(kind=AccountKind.SELF_SERVICE)
    outsider = factories.billing_contact(selfserv, username="owner.selfserv")
    from django.test import Client

    attempts = {
        "unknown": ("nobody.here", PW),
        "wrong password": ("alpha.controller", "wrong-password-123"),
        "not a corporate contact": (outsider.username, PW),
        "member, right password": (world.member_a.username, PW),
        "representative": (world.rep_a.username, PW),
    }
    bodies, statuses, hashing = {}, {}, {}
    for label, (login_id, password) in attempts.items():
        CountingHasher.calls = 0
        response = Client().post(CORP_LOGIN, {"username": login_id, "password": password})
        statuses[label] = response.status_code
        bodies[label] = _normalised(response, login_id)
        hashing[label] = CountingHasher.calls
    # Then status and page are the same in every case, with the seed's message
    assert set(statuses.values()) == {200}
    assert len(set(bodies.values())) == 1
    assert INVALID_LOGIN_MESSAGE in bodies["unknown"]
    assert INVALID_LOGIN_EXPLANATION.replace("'", "&#x27;") in bodies["unknown"]
    # And each costs exactly one password hash, so timing does not tell them apart either
    assert set(hashing.values()) == {1}
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 5


def test_member_signs_in_to_billing_center_and_sees_contact_admin_page(world, client):
    response = client.post(BC_LOGIN, {"username": world.member_a.username, "password": PW})
    page = client.get(response["Location"], follow=True).content.decode()
    primary = world.contact_a
    assert (
        f"Contact your billing admin ({primary.get_full_name()}, {primary.email}) to make "
        "product or licensing changes to your account" in page.replace("&#x27;", "'")
    )
    assert "Email the billing admin" in page


def test_staff_sign_in_at_billing_center(world, client):
    response = client.post(BC_LOGIN, {"username": world.deal_desk.username, "password": PW})
    assert response["Location"] == reverse("contacts:home")
    assert client.get(reverse("contacts:home"))["Location"] == reverse("contacts:staff_home")


def test_next_parameter_cannot_redirect_off_site(world, client):
    response = client.post(
        CORP_LOGIN + "?next=https://evil.example/",
        {"username": world.contact_a.username, "password": PW, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("contacts:home")


def _fail(client, login_id, addr="10.0.0.1"):
    return client.post(
        CORP_LOGIN, {"username": login_id, "password": "wrong-password-1"}, REMOTE_ADDR=addr
    )


@pytest.mark.parametrize("login_id", ["alpha.controller", "no.such.user"])
def test_five_failures_lock_the_pair_for_fifteen_minutes(login_id, world, client):
    start = timezone.now()
    with freeze_time(start) as frozen:
        # Given four failures for one login ID from one address
        for _ in range(4):
            frozen.tick(timedelta(seconds=30))
            assert _fail(client, login_id).status_code == 200
        # When the fifth fails, the answer already says the pair is locked
        frozen.tick(timedelta(seconds=30))
        fifth = _fail(client, login_id)
        assert fifth.status_code == 429
        assert "Too many failed sign-ins" in fifth.content.decode()
        # When the right password is tried from that address
        frozen.tick(timedelta(seconds=30))
        locked = client.post(
            CORP_LOGIN, {"username": login_id, "password": PW}, REMOTE_ADDR="10.0.0.1"
        )
        # Then the pair is locked, with a clear message, and nobody is signed in
        assert locked.status_code == 429
        assert "Too many failed sign-ins" in locked.content.decode()
        assert "locked for 15 minutes" in locked.content.decode()
        assert "_auth_user_id" not in client.session
        assert AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKED_OUT).count() == 1
        # And another address is not locked for that ID
        other = client.post(
            CORP_LOGIN, {"username": login_id, "password": "x-wrong-1"}, REMOTE_ADDR="10.0.0.2"
        )
        assert other.status_code == 200
        # When 15 minutes have passed
        frozen.tick(timedelta(minutes=15, seconds=1))
        after = client.post(
            CORP_LOGIN, {"username": login_id, "password": PW}, REMOTE_ADDR="10.0.0.1"
        )
    # Then the lock is released (a known contact signs in; an unknown ID is merely invalid)
    if login_id == "alpha.controller":
        assert after.status_code == 302
    else:
        assert after.status_code == 200
        assert INVALID_LOGIN_MESSAGE in after.content.decode()


def test_lockout_counts_login_id_case_insensitively(world, client):
    for variant in ["ALPHA.CONTROLLER", "alpha.controller", "Alpha.Controller", "ALPHA.controller"]:
        _fail(client, variant)
    _fail(client, "alpha.CONTROLLER")
    locked = client.post(
        CORP_LOGIN, {"username": "alpha.controller", "password": PW}, REMOTE_ADDR="10.0.0.1"
    )
    assert locked.status_code == 429


def test_four_failures_do_not_lock(world, client):
    for _ in range(4):
        _fail(client, "alpha.controller")
    response = client.post(
        CORP_LOGIN, {"username": "alpha.controller", "password": PW}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302


def test_logout_needs_post_and_ends_the_session(world, client):
    client.force_login(world.contact_a, backend="contacts.backends.LoginIdBackend")
    assert client.get(reverse("contacts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    client.post(reverse("contacts:logout"))
    assert "_auth_user_id" not in client.session


def test_login_form_requires_csrf(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(CORP_LOGIN, {"username": world.contact_a.username, "password": PW})
    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session
