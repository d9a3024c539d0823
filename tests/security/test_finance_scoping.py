"""The dashboards' numbers and the lists behind their charts hold exactly the quotes and POs of
the accounts the person sees: a representative their own accounts, deal desk and finance all
(deal desk no POs), customers nothing (the same 404 as a missing page). Replacing a finance
selector's scoping with ``objects.all()`` fails these tests.

Account A (USD) has quotes worth 1,111.00 and a PO of 5,000.00; account B (EUR) 2,222.00 and
a PO of 7,000.00.
"""

import re

import pytest
from django.urls import reverse

from tests import po_builders as pb
from tests.finance.test_dashboard import quote

from .routes import CUSTOMERS

SEES = {
    "rep_a": {"a"},
    "rep_b": {"b"},
    "deal_desk": {"a", "b"},
    "finance": {"a", "b"},
}
READS_POS = {"rep_a", "rep_b", "finance"}
VALUE = {"a": "1,111.00 USD", "b": "2,222.00 EUR"}
PO = {"a": "A-PO", "b": "B-PO"}


@pytest.fixture
def data(world):
    quote(world.a, world.rep_a, "sent", total="1111.00", valid=10)
    quote(world.b, world.rep_b, "sent", total="2222.00", valid=10)
    pb.purchase_order(world.a, world.contact_a, "A-PO", "5000")
    pb.purchase_order(world.b, world.contact_b, "B-PO", "7000")
    return world


def get(client, user, url, **params):
    client.force_login(user, backend="contacts.backends.LoginIdBackend")
    return client.get(url, params)


@pytest.mark.parametrize("role", sorted(SEES))
def test_the_dashboard_counts_exactly_the_accounts_the_person_sees(data, client, role):
    user = data.user(role)
    pages = [
        get(client, user, reverse("finance:dashboard"), currency=c).content.decode()
        for c in ("USD", "EUR")
    ]
    html = "".join(pages)
    for key in ("a", "b"):
        assert (VALUE[key] in html) == (key in SEES[role]), (role, key)
    figures = get(client, user, reverse("finance:dashboard")).context["figures"]
    assert sum(figures.expiring_quotes) == len(SEES[role])
    if role not in READS_POS:
        assert figures.po_usage == [] and not figures.reads_pos
        return
    for currency, key, number in (("USD", "a", "OV-1000001"), ("EUR", "b", "OV-1000002")):
        if key not in SEES[role]:
            continue  # the dashboard offers only the currencies of quotes the person sees
        response = get(client, user, reverse("finance:dashboard"), currency=currency)
        figures = response.context["figures"]
        assert [row["number"] for row in figures.po_usage] == [number], (role, currency)


@pytest.mark.parametrize("role", sorted(SEES))
def test_the_lists_behind_the_charts_hold_exactly_the_persons_accounts(data, client, role):
    user = data.user(role)
    html = get(client, user, reverse("finance:quotes"), expiring="1").content.decode()
    for key in ("a", "b"):
        assert (VALUE[key] in html) == (key in SEES[role]), (role, key)
    response = get(client, user, reverse("finance:purchase_orders"))
    if role not in READS_POS:
        assert response.status_code == 404
        return
    found = set(re.findall(r"\b[AB]-PO\b", response.content.decode()))
    assert found == {PO[k] for k in SEES[role]}


@pytest.mark.parametrize("role", CUSTOMERS)
def test_customers_get_no_dashboard_at_all(data, client, role):
    for name in ("finance:dashboard", "finance:quotes", "finance:purchase_orders"):
        assert get(client, data.user(role), reverse(name)).status_code == 404
