"""What the Billing Center's lists show (issue 12): each lists the objects of the account in the
URL and none of another account's, whoever reads it; a contact of another account and a
representative of another account get the same 404 as for a missing account, and a member gets
the "Contact your billing admin" page without any billing data.

Accounts a and b are both self-service here, each with its own plan product, cards and invoices,
so every row a page shows can be told apart by name, number or last four digits.
"""

import re

import pytest
from django.urls import reverse

from billing_center import services
from billing_center.models import Invoice
from tests.billing_center import builders as bb

INVOICE_NUMBER = re.compile(r"INV-[0-9]{4}-[0-9]{6,}")
# What of each account's billing data a page may show.
PRODUCTS = {"a": "Alphaplan Conferencing", "b": "Betaplan Conferencing"}
CARDS = {"a": ("4242424242424242", "4242"), "b": ("5555555555554444", "4444")}
LISTS = ("billing_center:account", "billing_center:invoices", "billing_center:payment")


@pytest.fixture
def billed(world):
    data = {}
    for key, contact in (("a", world.contact_a), ("b", world.contact_b)):
        account = bb.make_self_service(getattr(world, key))
        product = bb.plan_product(sku=f"OV-BC-{key.upper()}", name=PRODUCTS[key])
        bb.add_card(account, contact, CARDS[key][0])
        sub = bb.add_plan(account, contact, product=product, quantity=4)
        bb.add_plan(account, contact, product=product, frequency="annually", quantity=2)
        services.subscription_renew(subscription=sub, today=sub.period_end)
        data[key] = set(Invoice.objects.filter(account=account).values_list("number", flat=True))
    assert all(len(numbers) == 3 for numbers in data.values())
    return data


def _get(client, user, name, account):
    client.force_login(user, backend="contacts.backends.LoginIdBackend")
    return client.get(reverse(name, kwargs={"number": account.number}))


def _shows(html, key):
    return PRODUCTS[key] in html or f"•••• {CARDS[key][1]}" in html


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("role", ["contact_a", "rep_a", "deal_desk", "finance"])
def test_readers_see_the_accounts_own_rows_only(world, billed, client, role, name):
    # When a reader of account a opens one of its lists
    response = _get(client, world.user(role), name, world.a)
    html = response.content.decode()
    # Then it lists a's rows and none of b's
    assert response.status_code == 200
    assert not _shows(html, "b")
    assert not set(INVOICE_NUMBER.findall(html)) & billed["b"]
    if name == "billing_center:invoices":
        assert set(INVOICE_NUMBER.findall(html)) == billed["a"]
    if name == "billing_center:account":
        assert PRODUCTS["a"] in html
        assert set(INVOICE_NUMBER.findall(html)) == billed["a"]  # the recent invoices
    if name == "billing_center:payment":
        assert "Visa •••• 4242" in html


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("role", ["contact_b", "rep_b"])
def test_another_accounts_people_get_the_missing_page(world, billed, client, role, name):
    response = _get(client, world.user(role), name, world.a)
    missing = client.get(reverse(name, kwargs={"number": "OV-9999999"}))
    assert response.status_code == missing.status_code == 404
    assert response.content.replace(world.a.number.encode(), b"X") == missing.content.replace(
        b"OV-9999999", b"X"
    )


@pytest.mark.parametrize("name", LISTS)
def test_a_member_sees_whom_to_contact_and_no_billing_data(world, billed, client, name):
    response = _get(client, world.member_a, name, world.a)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Contact your billing admin" in html and "Email the billing admin" in html
    assert world.contact_a.email in html
    assert not _shows(html, "a") and not _shows(html, "b")
    assert INVOICE_NUMBER.findall(html) == []


def test_the_landing_list_holds_own_accounts_only(world, billed, client):
    # Given contact a, billing contact of a self-service account only
    client.force_login(world.contact_a, backend="contacts.backends.LoginIdBackend")
    # When they open the Billing Center, they land on their account's page
    response = client.get(reverse("billing_center:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("billing_center:account", args=[world.a.number])
    # And staff, who are no account's customers, get an empty list
    client.force_login(world.deal_desk, backend="contacts.backends.LoginIdBackend")
    html = client.get(reverse("billing_center:home")).content.decode()
    assert world.a.number not in html and world.b.number not in html
