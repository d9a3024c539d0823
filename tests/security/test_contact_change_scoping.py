"""Billing-contact changes are seen and decided within their own account only, and the pages that
list them cost the same number of queries however many contacts and changes there are.

Each account has one pending change (an addition) and one declined change (make primary).
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.changes import Action
from contacts.models import ContactChange, ContactChangeKind, ContactChangeStatus
from corp_billing.paging import PAGE_SIZE
from tests import factories
from workflows import services as flow_services

from .routes import ALL_ACCOUNT_ROLES, HOME_ACCOUNT

PENDING_NAME = {"a": "Adalbert Anfang", "b": "Berthold Beginn"}


def _propose(account, contact, name, login_id):
    first, last = name.split()
    return flow_services.contact_change_propose(
        account=account,
        actor=contact,
        password=factories.PASSWORD,
        kind="add",
        first_name=first,
        last_name=last,
        email=f"{login_id}@mail.example",
        login_id=login_id,
    )


@pytest.fixture
def proposed(world):
    pending = {
        "a": _propose(world.a, world.contact_a, PENDING_NAME["a"], "adalbert.a"),
        "b": _propose(world.b, world.contact_b, PENDING_NAME["b"], "berthold.b"),
    }
    declined = flow_services.contact_change_propose(
        account=world.a,
        actor=world.contact_a,
        password=factories.PASSWORD,
        kind="make_primary",
        target_id=world.contact_a2.pk,
    )
    flow_services.contact_change_decide(
        change=declined, actor=world.rep_a, action=Action.DECLINE, comment="Alpha stays as is"
    )
    return pending


def page(client, user, url) -> str:
    client.force_login(user, backend="contacts.backends.LoginIdBackend")
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_an_account_page_lists_its_own_contact_changes_only(world, proposed, client):
    for role in ("contact_a", "contact_b", "rep_a", "rep_b", "deal_desk", "finance"):
        for key in ("a", "b") if role in ALL_ACCOUNT_ROLES else (HOME_ACCOUNT[role],):
            other = "b" if key == "a" else "a"
            url = reverse("contacts:account_home", args=[getattr(world, key).number])
            html = page(client, world.user(role), url)
            # Then the account's own changes are listed, and none of the other account's
            assert PENDING_NAME[key] in html, (role, key)
            assert PENDING_NAME[other] not in html, (role, key)
            assert ("Alpha stays as is" in html) == (key == "a"), (role, key)


def test_the_member_sees_no_contact_changes(world, proposed, client):
    html = page(client, world.member_a, reverse("contacts:account_home", args=[world.a.number]))
    assert PENDING_NAME["a"] not in html
    assert "Alpha stays as is" not in html


def test_only_the_accounts_representative_has_the_confirm_task(world, proposed, client):
    expected = {"rep_a": {PENDING_NAME["a"]}, "rep_b": {PENDING_NAME["b"]}}
    for role in ("member_a", "contact_a", "contact_b", "rep_a", "rep_b", "deal_desk", "finance"):
        html = page(client, world.user(role), reverse("workflows:inbox"))
        listed = {name for name in PENDING_NAME.values() if name in html}
        assert listed == expected.get(role, set()), role


def test_another_accounts_change_is_the_same_404_as_a_missing_one(world, proposed, client):
    client.force_login(world.rep_a, backend="contacts.backends.LoginIdBackend")
    other = proposed["b"]
    data = {"decision": "confirm"}
    answer_other = client.post(reverse("workflows:contact_change_decide", args=[other.pk]), data)
    missing = client.post(reverse("workflows:contact_change_decide", args=[999_999]), data)
    assert answer_other.status_code == missing.status_code == 404
    assert answer_other.content == missing.content
    other.refresh_from_db()
    assert other.status == ContactChangeStatus.PENDING


def test_the_propose_forms_are_shown_to_billing_contacts_only(world, client):
    url = reverse("contacts:account_home", args=[world.a.number])
    action = reverse("workflows:contact_change_propose", args=[world.a.number])
    for role in ("contact_a", "contact_a2", "rep_a", "deal_desk", "finance"):
        html = page(client, world.user(role), url)
        assert (action in html) == role.startswith("contact"), role


# --- query counts ------------------------------------------------------------------------------


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def _bulk_changes(world, count: int) -> None:
    """``count`` decided changes written in bulk: the page reads only these rows."""
    now = timezone.now()
    ContactChange.objects.bulk_create(
        ContactChange(
            account=world.a,
            kind=ContactChangeKind.MAKE_PRIMARY,
            status=ContactChangeStatus.DECLINED,
            target=world.contact_a2,
            proposer=world.contact_a,
            decider=world.rep_a,
            decided_at=now,
            comment=f"Bulk {i}",
        )
        for i in range(count)
    )


@pytest.mark.parametrize("role", ["contact_a", "rep_a"])
def test_account_page_queries_do_not_grow_with_contacts_and_changes(world, client, role):
    client.force_login(world.user(role), backend="contacts.backends.LoginIdBackend")
    url = reverse("contacts:account_home", args=[world.a.number])
    _bulk_changes(world, 2)
    _propose(world.a, world.contact_a, "Pending One", "pending.one")
    client.get(url)
    small = _queries(client, url)
    # When the account has 30 more contacts and 200 more changes
    for i in range(30):
        factories.billing_contact(world.a, username=f"bulk.contact{i}")
    _bulk_changes(world, 200)
    large = _queries(client, url)
    # Then the page costs the same, and lists one page of changes
    assert len(large) == len(small), "\n".join(large)
    html = client.get(url).content.decode()
    assert len(re.findall(r'<tr id="contact-change-\d+">', html)) == PAGE_SIZE
    assert 'rel="next"' in html


def test_inbox_queries_do_not_grow_with_contact_change_tasks(world, client):
    client.force_login(world.rep_a, backend="contacts.backends.LoginIdBackend")
    url = reverse("workflows:inbox")
    for i in range(2):
        _propose(world.a, world.contact_a, f"Early Person{i}", f"early{i}")
    client.get(url)
    small = _queries(client, url)
    for i in range(20):
        _propose(world.a, world.contact_a, f"Late Person{i}", f"late{i}")
    large = _queries(client, url)
    assert len(large) == len(small), "\n".join(large)
    html = client.get(url).content.decode()
    assert html.count("Confirm or decline contact change") == 22
