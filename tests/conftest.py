import os
from dataclasses import dataclass

import pytest

from contacts.models import Account, StaffRole, User
from tests import factories

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path_factory):
    # A fast hasher: the suite checks flows, not bcrypt's cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = "https://billing.openvoice.example"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # pytest-django's test client speaks to "testserver"; production hosts come from the env.
    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
    # Uploaded PO documents go to a fresh directory, never the checkout's private_files/.
    settings.PRIVATE_FILES_ROOT = tmp_path_factory.mktemp("private_files")
    # Nothing cached by one test (grant sets, throttling counters) is seen by the next.
    from django.core.cache import cache

    cache.clear()


@dataclass
class World:
    """Two corporate accounts and one person in every role the access matrix checks."""

    a: Account
    b: Account
    contact_a: User
    contact_a2: User
    contact_b: User
    member_a: User
    rep_a: User
    rep_b: User
    deal_desk: User
    finance: User

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def world(db) -> World:
    a = factories.AccountFactory(number="OV-1000001", name="Alpha Corp", po_required=True)
    b = factories.AccountFactory(number="OV-1000002", name="Beta GmbH", currency="EUR")
    return World(
        a=a,
        b=b,
        contact_a=factories.billing_contact(a, primary=True, username="ap@alpha.example"),
        contact_a2=factories.billing_contact(a, username="alpha.controller"),
        contact_b=factories.billing_contact(b, primary=True, username="beta.ap"),
        member_a=factories.member(a, username="alpha.employee"),
        rep_a=factories.representative(a, username="rep.a"),
        rep_b=factories.representative(b, username="rep.b"),
        deal_desk=factories.staff(StaffRole.DEAL_DESK, username="dealdesk.d"),
        finance=factories.staff(StaffRole.FINANCE, username="finance.f"),
    )


@pytest.fixture
def login(client):
    """Signs ``user`` in on the test client (force_login: no password round-trip)."""

    def _login(user):
        if user is not None:
            client.force_login(user, backend="contacts.backends.LoginIdBackend")
        return client

    return _login
