"""What the purchase-order lists show: every list holds the POs (and PO-change tasks) of the
person's own account(s) and none of another account's, read from the rendered page. Replacing a
selector with ``PurchaseOrder.objects.all()`` fails these tests.

Each account has two POs (``A-ONE``, ``A-TWO`` / ``B-ONE``, ``B-TWO``) and a pending change on
its first one.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests import po_builders as pb
from workflows import services as flow_services

from .routes import ALL_ACCOUNT_ROLES, EVERYONE_SIGNED_IN, HOME_ACCOUNT

PO_NUMBER = re.compile(r"\b[AB]-(?:ONE|TWO)\b")
READERS = {"contact_a", "contact_b", "rep_a", "rep_b", "finance"}
REVIEWERS = {"rep_a", "rep_b", "finance"}


@pytest.fixture
def pos(world):
    found = {}
    for key, contact in (("a", world.contact_a), ("b", world.contact_b)):
        account = getattr(world, key)
        prefix = key.upper()
        one = pb.purchase_order(account, contact, f"{prefix}-ONE", "5000")
        found[key, "one"] = one
        found[key, "two"] = pb.purchase_order(account, contact, f"{prefix}-TWO", "7000")
        flow_services.po_change_propose(
            purchase_order=one,
            actor=contact,
            base_version=1,
            number=one.number,
            amount=Decimal("6000"),
            valid_from=one.valid_from,
            valid_to=one.valid_to,
            reason=f"{prefix} budget",
        )
    return found


def accounts_of(role) -> tuple[str, ...]:
    return ("a", "b") if role in ALL_ACCOUNT_ROLES else (HOME_ACCOUNT[role],)


def get(client, user, url):
    client.force_login(user, backend="contacts.backends.LoginIdBackend")
    return client.get(url)


def test_the_po_list_shows_exactly_the_pos_of_the_persons_accounts(world, pos, client):
    wrong = {}
    for role in EVERYONE_SIGNED_IN:
        response = get(client, world.user(role), reverse("purchase_orders:list"))
        if role not in READERS:
            if response.status_code != 404:
                wrong[role] = response.status_code
            continue
        expected = {f"{k.upper()}-{n.upper()}" for k in accounts_of(role) for n in ("one", "two")}
        found = set(PO_NUMBER.findall(response.content.decode()))
        if found != expected:
            wrong[role] = {"missing": expected - found, "extra": found - expected}
    assert wrong == {}


def test_an_account_ledger_shows_that_accounts_pos_only(world, pos, client):
    # finance opens each account's ledger: each shows its own two POs only
    for key in ("a", "b"):
        account = getattr(world, key)
        html = get(
            client, world.finance, reverse("purchase_orders:ledger", args=[account.number])
        ).content.decode()
        assert set(PO_NUMBER.findall(html)) == {f"{key.upper()}-ONE", f"{key.upper()}-TWO"}
        assert "Change pending" in html


def test_my_tasks_lists_the_po_changes_the_person_may_review(world, pos, client):
    wrong = {}
    for role in EVERYONE_SIGNED_IN:
        html = get(client, world.user(role), reverse("workflows:inbox")).content.decode()
        expected = {f"{k.upper()}-ONE" for k in accounts_of(role)} if role in REVIEWERS else set()
        found = set(PO_NUMBER.findall(html))
        if found != expected:
            wrong[role] = {"missing": expected - found, "extra": found - expected}
    assert wrong == {}


def test_a_po_page_shows_its_own_changes_only(world, pos, client):
    html = get(
        client, world.finance, reverse("purchase_orders:detail", args=[pos["a", "one"].pk])
    ).content.decode()
    assert "A budget" in html and "B budget" not in html
    html = get(
        client, world.finance, reverse("purchase_orders:detail", args=[pos["a", "two"].pk])
    ).content.decode()
    assert "A budget" not in html and "No changes yet." in html
