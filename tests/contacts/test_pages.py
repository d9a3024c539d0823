import re

from django.urls import reverse

from contacts import services
from contacts.models import Account, MembershipRole
from corp_billing.paging import PAGE_SIZE
from tests import factories


def test_account_home_shows_contacts_representatives_and_account(world, login):
    page = login(world.contact_a).get(reverse("contacts:account_home", args=[world.a.number]))
    html = page.content.decode()
    assert world.a.number in html and "Alpha Corp" in html and "Corporate" in html
    assert world.rep_a.get_full_name() in html
    for contact in (world.contact_a, world.contact_a2):
        assert contact.username in html and contact.email in html
    assert 'class="badge primary">Primary' in html
    assert world.member_a.username not in html
    assert world.contact_b.username not in html
    # The customer reads "your" representatives; the representative reads whose they are
    assert "Your LogMeIn representatives" in html
    rep = login(world.rep_a).get(reverse("contacts:account_home", args=[world.a.number]))
    assert "The account's LogMeIn representatives" in rep.content.decode()
    assert "Your LogMeIn representatives" not in rep.content.decode()


def test_staff_home_lists_only_a_representatives_accounts(world, login):
    html = login(world.rep_a).get(reverse("contacts:staff_home")).content.decode()
    assert world.a.number in html and world.b.number not in html


def test_deal_desk_sees_every_account(world, login):
    html = login(world.deal_desk).get(reverse("contacts:staff_home")).content.decode()
    assert world.a.number in html and world.b.number in html


def test_navigation_differs_by_role(world, login, client):
    customer = login(world.contact_a).get(reverse("contacts:account_home", args=[world.a.number]))
    assert "My account" in customer.content.decode()
    assert 'href="/admin/"' not in customer.content.decode()
    client.logout()
    staff = login(world.finance).get(reverse("contacts:staff_home")).content.decode()
    assert ">Accounts<" in staff and "My account" not in staff


def _queries(django_assert_max_num_queries, client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_account_home_queries_do_not_grow_with_contacts(
    world, login, django_assert_max_num_queries
):
    client = login(world.contact_a)
    url = reverse("contacts:account_home", args=[world.a.number])

    def add_contacts(n):
        for _ in range(n):
            factories.billing_contact(world.a)

    add_contacts(8)  # 10 contacts
    small = _queries(django_assert_max_num_queries, client, url)
    add_contacts(190)  # 200 contacts
    large = _queries(django_assert_max_num_queries, client, url)
    assert small == large
    # (9 with the person's grants read once: in a test's transaction they are never cached)
    assert large <= 9


def test_staff_home_queries_do_not_grow_with_accounts(world, login, django_assert_max_num_queries):
    deal_desk = login(world.deal_desk)
    url = reverse("contacts:staff_home")
    factories.AccountFactory.create_batch(8)  # 10 accounts
    small = _queries(django_assert_max_num_queries, deal_desk, url)
    for account in factories.AccountFactory.create_batch(190):  # 200 accounts
        factories.billing_contact(account, primary=True)
        services.membership_add(
            account=account, user=world.rep_a, role=MembershipRole.REPRESENTATIVE
        )
    large = _queries(django_assert_max_num_queries, deal_desk, url)
    assert small == large

    # The same for a representative whose grants grow from 1 to 191 accounts
    deal_desk.logout()
    rep = login(world.rep_a)
    rep_large = _queries(django_assert_max_num_queries, rep, url)
    assert rep_large <= large + 2
    # and the list is paged, 50 accounts a page, each page in the same number of queries
    seen, next_url = [], url
    while next_url:
        rep_page = _queries(django_assert_max_num_queries, rep, next_url)
        assert rep_page == rep_large
        response = rep.get(next_url)
        on_page = re.findall(r'href="/accounts/(OV-\d+)/"', response.content.decode())
        assert len(on_page) <= PAGE_SIZE
        seen.extend(on_page)
        page = response.context["page"]
        next_url = page.next_url and url + page.next_url
    assert len(seen) == len(set(seen)) == 191
    assert seen == [
        a.number for a in Account.objects.filter(number__in=seen).order_by("name", "id")
    ]
