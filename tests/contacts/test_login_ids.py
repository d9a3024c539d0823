"""One login ID, one identity, one lockout bucket: however it is typed.

A login ID is stored, looked up and throttled in one normal form (Unicode NFKC, then case
folding), and only IDs that are plain ASCII in that form exist. Before this, the lockout key was
Python-lower-cased while the lookup was SQL ``iexact``; PostgreSQL upper-cases the dotless ``ı``
to ``I``, so ``bıllıng@…`` was a fresh lockout bucket that still signed in as ``billing@…``.
"""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from contacts import validators
from contacts.models import User
from tests import factories

CORP_LOGIN = reverse("contacts:corporate_login")
ADMIN_LOGIN = reverse("admin:login")
PW = factories.PASSWORD
ADDR = "10.0.0.1"
DOTLESS_I = "\u0131"  # ı


def _post(client, url, login_id, password, **extra):
    data = {"username": login_id, "password": password}
    if url == ADMIN_LOGIN:
        data["next"] = reverse("admin:index")
    return client.post(url, data, REMOTE_ADDR=ADDR, **extra)


def _lock(client, url, login_id):
    for _ in range(5):
        _post(client, url, login_id, "wrong-password-1")


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("  AP@Alpha.Example ", "ap@alpha.example"),
        ("\uff41\uff4c\uff50\uff48\uff41.controller", "alpha.controller"),  # fullwidth letters
        ("\u212aelvin.ap", "kelvin.ap"),  # KELVIN SIGN
        ("STRASSE.ap", "strasse.ap"),
        ("stra\u00dfe.ap", "strasse.ap"),  # ß folds to ss, as casefold() does
        (
            f"b{DOTLESS_I}ll{DOTLESS_I}ng@globex.example",
            f"b{DOTLESS_I}ll{DOTLESS_I}ng@globex.example",
        ),  # noqa: E501  # fmt: skip
    ],
)
def test_one_normal_form_for_every_way_of_typing_an_id(typed, normal):
    assert validators.normalise_login_id(typed) == normal


def test_user_id_is_stored_in_its_normal_form(db):
    # When a user is saved with a mixed-case, fullwidth User ID
    user = factories.UserFactory(username="\uff21cme.Controller")
    # Then the stored ID is the normal form, and that is what signs in
    user.refresh_from_db()
    assert user.username == "acme.controller"


def test_a_look_alike_of_an_existing_id_cannot_be_created_in_the_admin(db, client):
    # Given billing@globex.example exists and an administrator is signed in
    factories.UserFactory(username="billing@globex.example")
    admin = factories.staff("administrator", is_staff=True, is_superuser=True)
    client.force_login(admin, backend="contacts.backends.LoginIdBackend")
    # When they add b<dotless i>ll<dotless i>ng@globex.example
    look_alike = f"b{DOTLESS_I}ll{DOTLESS_I}ng@globex.example"
    response = client.post(
        reverse("admin:contacts_user_add"),
        {
            "username": look_alike,
            "password1": "Lavender-Orbit-2031",
            "password2": "Lavender-Orbit-2031",
            "usable_password": "true",
        },  # noqa: E501  # fmt: skip
    )
    # Then the form refuses it and no second, confusable user exists
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"]
    assert set(User.objects.values_list("username", flat=True)) == {
        admin.username,
        "billing@globex.example",
    }


def test_compatibility_forms_of_an_id_share_its_lockout(world, client):
    # Given four wrong passwords for alpha.controller
    for _ in range(4):
        _post(client, CORP_LOGIN, "alpha.controller", "wrong-password-1")
    # When the fifth is typed in fullwidth letters
    _post(client, CORP_LOGIN, "\uff41\uff4c\uff50\uff48\uff41.controller", "wrong-password-1")
    # Then the ID is locked: the right password is refused from that address
    response = _post(client, CORP_LOGIN, "alpha.controller", PW)
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


@pytest.mark.postgres_only
def test_dotless_i_look_alike_does_not_sign_in_to_a_locked_id(world, client):
    # Given billing@globex.example is locked after five wrong passwords
    factories.billing_contact(world.b, username="billing@globex.example")
    _lock(client, CORP_LOGIN, "billing@globex.example")
    # When b<dotless i>ll<dotless i>ng@globex.example is tried with the right password
    look_alike = _post(client, CORP_LOGIN, f"b{DOTLESS_I}ll{DOTLESS_I}ng@globex.example", PW)
    # Then nobody is signed in, and the real ID is still locked
    assert look_alike.status_code != 302
    assert SESSION_KEY not in client.session
    assert _post(Client(), CORP_LOGIN, "billing@globex.example", PW).status_code == 429


@pytest.mark.postgres_only
def test_admin_sign_in_is_throttled_the_same_way(db, client):
    # Given the administrator "admin" is locked after five wrong passwords in the admin
    factories.staff("administrator", username="admin", is_staff=True, is_superuser=True)
    _lock(client, ADMIN_LOGIN, "admin")
    # When adm<dotless i>n is tried with the right password there
    look_alike = _post(client, ADMIN_LOGIN, f"adm{DOTLESS_I}n", PW)
    # Then nobody is signed in and the admin stays closed
    assert look_alike.status_code != 302
    assert SESSION_KEY not in client.session
    assert client.get(reverse("admin:index")).status_code == 302
    assert _post(Client(), ADMIN_LOGIN, "admin", PW).status_code == 429
