"""The account ids a person may see are cached per right (``contacts.permissions``), and a
change of their grants is seen on the very next request: the cache never outlives a grant."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts import permissions
from contacts.models import MembershipRole, User
from tests import quote_builders as qb

GRANT_TABLE = "contacts_accountgroupobjectpermission"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs the on-commit callbacks of each block as a real commit would (the cache is filled
    only once what was read is committed)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def quote_numbers(client) -> set[str]:
    response = client.get(reverse("quotes:list"))
    assert response.status_code == 200
    return {row.number for row in response.context["page"]}


def test_a_revoked_representative_stops_seeing_the_account_at_once(world, login, committed):
    quote = qb.sent_quote(world.a, world.rep_a)
    client = login(world.rep_a)
    # Given the representative's lists were read (and their grants cached)
    with committed():
        assert quote.number in quote_numbers(client)
    with CaptureQueriesContext(connection) as cached:
        assert quote.number in quote_numbers(client)
    assert not any(GRANT_TABLE in q["sql"] for q in cached)
    # When their role on the account is revoked
    with committed():
        permissions.revoke_role(
            user=world.rep_a, account=world.a, role=MembershipRole.REPRESENTATIVE
        )
    # Then the next request shows neither the quote in the list nor its page
    assert quote.number not in quote_numbers(client)
    assert client.get(reverse("quotes:detail", args=[quote.number])).status_code == 404


def test_a_new_grant_is_seen_on_the_next_request(world, login, committed):
    quote = qb.sent_quote(world.b, world.rep_b)
    client = login(world.rep_a)
    with committed():
        assert quote.number not in quote_numbers(client)
    with committed():
        permissions.grant_role(
            user=world.rep_a, account=world.b, role=MembershipRole.REPRESENTATIVE
        )
    assert quote.number in quote_numbers(client)


def test_a_grant_rolled_back_is_not_remembered(world, committed):
    rep = User.objects.get(pk=world.rep_a.pk)
    # Given a grant made, read and rolled back in one transaction
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        permissions.grant_role(user=rep, account=world.b, role=MembershipRole.REPRESENTATIVE)
        assert world.b.pk in permissions.account_ids_with_permission(rep, "view_billing")
        raise RuntimeError("the step failed")
    # Then the same person (as read at the start of that request) does not keep it
    assert world.b.pk not in permissions.account_ids_with_permission(rep, "view_billing")
    fresh = User.objects.get(pk=world.rep_a.pk)
    assert permissions.account_ids_with_permission(fresh, "view_billing") == [world.a.pk]
