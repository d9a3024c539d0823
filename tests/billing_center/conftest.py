import pytest

from tests import factories

from .builders import make_self_service


@pytest.fixture
def ss(db):
    """A self-service account with a primary billing contact, a second one, a member and a
    representative; and another self-service account with its own contact."""

    class SS:
        pass

    s = SS()
    s.account = factories.AccountFactory(
        number="OV-2000001",
        name="Initech Studio",
        kind="self_service",
        currency="USD",
        time_zone="America/Chicago",
    )
    s.contact = factories.billing_contact(
        s.account,
        primary=True,
        username="owner@initech.example",
        first_name="Olivia",
        last_name="Nguyen",
    )
    s.contact2 = factories.billing_contact(s.account, username="initech.books")
    s.member = factories.member(s.account, username="initech.dev")
    s.rep = factories.representative(s.account, username="rep.initech")
    s.other = make_self_service(factories.AccountFactory(number="OV-2000002", name="Other Ltd"))
    s.other_contact = factories.billing_contact(s.other, primary=True, username="other.ap")
    return s
