"""What the lists show (issue 6): every list a person sees holds the objects of their own
account(s) and none of another account's, read from the rendered page.

The access matrix proves who may open a URL; these tests prove what a page that everybody may
open lists. Replacing a list's selector with ``Model.objects.all()`` fails them.

Each account has four quotes:
    draft      — never submitted: only the account's staff know of it
    pending    — waiting for deal desk: not sent either
    sent       — waiting for the customer's decision
    reworked   — approved by deal desk with a note, sent, changes requested by the customer,
                 and now a draft revision 2 by the representative
"""

import re
from dataclasses import dataclass

import pytest
from django.urls import reverse

from contacts import services as contact_services
from contacts.models import MembershipRole, StaffRole
from quotes import services as quote_services
from quotes.policy import Action
from tests import factories
from tests import quote_builders as qb
from workflows import services as flow_services

from .routes import ALL_ACCOUNT_ROLES, EVERYONE_SIGNED_IN, HOME_ACCOUNT

# Names no page prints by accident, none a part of another.
NAMES = {
    "contact_a": ("Amelia", "Apfelbaum"),
    "contact_a2": ("Arthur", "Ahornblatt"),
    "member_a": ("Anton", "Ameisenhaufen"),
    "rep_a": ("Rita", "Rotbuche"),
    "contact_b": ("Bettina", "Birkenwald"),
    "rep_b": ("Ralf", "Rosskastanie"),
    "deal_desk": ("Dora", "Dealdesk"),
    "finance": ("Fritz", "Finanzamt"),
}
# The people each account's page lists: billing contacts and representatives.
PEOPLE = {"a": ("contact_a", "contact_a2", "rep_a"), "b": ("contact_b", "rep_b")}
PRIMARY = {"a": "contact_a", "b": "contact_b"}
KINDS = ("draft", "pending", "sent", "reworked")
SENT_KINDS = ("sent", "reworked")
QUOTE_NUMBER = re.compile(r"Q-[0-9]{4}-[0-9]{6,}")
ACCOUNT_NUMBER = re.compile(r"OV-[0-9]{7}")


@dataclass
class Listed:
    world: object
    quotes: dict  # (account key, kind) -> Quote
    notes: dict  # (account key, "review" | "request") -> comment text

    def name(self, role):
        first, last = NAMES[role]
        return f"{first} {last}"

    def account(self, key):
        return getattr(self.world, key)

    def numbers(self, pairs) -> set[str]:
        return {self.quotes[pair].number for pair in pairs}

    def difference(self, expected: set[str], html: str) -> dict:
        """Which quotes a page lists that it should not, and which it misses, by name."""
        label = {q.number: f"{key}:{kind}" for (key, kind), q in self.quotes.items()}
        found = set(QUOTE_NUMBER.findall(html))
        return {
            "not listed": sorted(label.get(n, n) for n in expected - found),
            "listed wrongly": sorted(label.get(n, n) for n in found - expected),
        }


def accounts_of(role) -> tuple[str, ...]:
    return ("a", "b") if role in ALL_ACCOUNT_ROLES else (HOME_ACCOUNT[role],)


@pytest.fixture
def listed(world) -> Listed:
    for role, (first, last) in NAMES.items():
        user = getattr(world, role)
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    quotes, notes = {}, {}
    for key, label in (("a", "Alpha"), ("b", "Beta")):
        account = getattr(world, key)
        rep = getattr(world, f"rep_{key}")
        contact = getattr(world, f"contact_{key}")
        quotes[key, "draft"] = qb.draft_quote(account, rep, title=f"{label} draft")
        quotes[key, "pending"] = qb.pending_approval_quote(account, rep, title=f"{label} pending")
        quotes[key, "sent"] = qb.sent_quote(account, rep, title=f"{label} sent")
        reworked = qb.pending_approval_quote(account, rep, title=f"{label} reworked")
        notes[key, "review"] = f"{label} deal-desk note"
        notes[key, "request"] = f"{label} asks for more seats"
        flow_services.quote_approve(
            quote=reworked, actor=world.deal_desk, comment=notes[key, "review"]
        )
        flow_services.quote_decline(
            quote=reworked,
            actor=contact,
            action=Action.REQUEST_CHANGES,
            comment=notes[key, "request"],
        )
        quote_services.revision_start_next(quote=reworked, actor=rep)
        reworked.refresh_from_db()
        quotes[key, "reworked"] = reworked
    return Listed(world=world, quotes=quotes, notes=notes)


def page(client, user, url):
    client.force_login(user, backend="contacts.backends.LoginIdBackend")
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def section(html: str, heading_id: str) -> str:
    found = re.search(
        rf'<section[^>]* aria-labelledby="{heading_id}"[^>]*>(.*?)</section>', html, re.S
    )
    assert found, heading_id
    return found[1]


# --- The quote list (/quotes/) -----------------------------------------------------------------


def quotes_listed_for(role) -> set[tuple[str, str]]:
    if role == "member_a":
        return set()  # an account member reads nothing billing-related
    kinds = SENT_KINDS if role in ("contact_a", "contact_b") else KINDS
    return {(key, kind) for key in accounts_of(role) for kind in kinds}


def test_the_quote_list_shows_exactly_the_quotes_of_the_persons_accounts(listed, client):
    # Given two accounts with quotes in every state
    wrong = {}
    for role in EVERYONE_SIGNED_IN:
        # When each person opens the quote list
        html = page(client, listed.world.user(role), reverse("quotes:list"))
        # Then it lists their own account's quotes and none of the other account's
        expected = listed.numbers(quotes_listed_for(role))
        if set(QUOTE_NUMBER.findall(html)) != expected:
            wrong[role] = listed.difference(expected, html)
    assert wrong == {}


def test_a_customer_never_sees_a_quote_that_was_not_sent(listed, client):
    for role in ("contact_a", "contact_b"):
        # Given their account's draft and the quote waiting for deal desk
        key = HOME_ACCOUNT[role]
        unsent = [listed.quotes[key, "draft"], listed.quotes[key, "pending"]]
        # When the billing contact opens the quote list
        html = page(client, listed.world.user(role), reverse("quotes:list"))
        # Then neither is listed, by number or by title
        for quote in unsent:
            assert quote.number not in html and quote.title not in html, (role, quote.title)
        # While the sent one is
        assert listed.quotes[key, "sent"].title in html, role


def test_a_customer_s_quote_list_shows_the_revision_sent_to_them_not_the_new_draft(listed, client):
    # Given A's quote on which the customer requested changes and the rep started revision 2
    quote = listed.quotes["a", "reworked"]
    # When the billing contact opens the quote list
    html = page(client, listed.world.contact_a, reverse("quotes:list"))
    row = re.search(rf"<tr>\s*<td><a[^>]*>{quote.number}</a></td>(.*?)</tr>", html, re.S)[1]
    # Then the quote's row shows revision 1, whose changes they requested, not the draft
    cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[2:4] == ["1", '<span class="badge">Changes requested</span>']


# --- "My tasks" ---------------------------------------------------------------------------------


def tasks_for(role) -> set[tuple[str, str]]:
    kind = {
        "contact_a": "sent",  # accept, reject or request changes
        "contact_b": "sent",
        "rep_a": "reworked",  # revise and resubmit
        "rep_b": "reworked",
        "deal_desk": "pending",  # approve or send back
    }.get(role)
    return {(key, kind) for key in accounts_of(role)} if kind else set()


def test_my_tasks_lists_exactly_the_persons_open_tasks(listed, client):
    # Given open tasks on both accounts
    wrong = {}
    for role in EVERYONE_SIGNED_IN:
        # When each person opens "My tasks"
        html = page(client, listed.world.user(role), reverse("workflows:inbox"))
        # Then it lists the tasks of their own account(s) that are theirs to do, and no others
        expected = listed.numbers(tasks_for(role))
        if set(QUOTE_NUMBER.findall(html)) != expected:
            wrong[role] = listed.difference(expected, html)
        if not expected and "Nothing is waiting for you." not in html:
            wrong[role] = "no 'Nothing is waiting for you.'"
    assert wrong == {}


# --- Staff home (/staff/) -----------------------------------------------------------------------


def test_staff_home_lists_exactly_the_accounts_the_person_works_on(listed, client):
    # Given two accounts, each with its own primary contact and representative
    for role in ("rep_a", "rep_b", "deal_desk", "finance"):
        # When a staff member opens their home page
        html = page(client, listed.world.user(role), reverse("contacts:staff_home"))
        # Then it lists their accounts, with their primary contact and representatives
        mine = accounts_of(role)
        numbers = {listed.account(k).number for k in mine}
        assert set(ACCOUNT_NUMBER.findall(html)) == numbers, role
        for key in ("a", "b"):
            account = listed.account(key)
            for text in (account.name, listed.name(PRIMARY[key]), listed.name(f"rep_{key}")):
                # And nothing of an account that is not theirs
                assert (text in html) == (key in mine), (role, key, text)


# --- Account home: billing contacts and representatives ---------------------------------------


def test_an_account_page_lists_its_own_people_only(listed, client):
    for role in ("contact_a", "contact_b", "rep_a", "rep_b", "deal_desk", "finance"):
        for key in accounts_of(role):
            # When a person opens an account's page they may see
            url = reverse("contacts:account_home", args=[listed.account(key).number])
            html = page(client, listed.world.user(role), url)
            contacts = section(html, "contacts-h")
            representatives = section(html, "reps-h")
            # Then it lists that account's billing contacts and representatives
            for person in PEOPLE[key]:
                listing = representatives if person.startswith("rep_") else contacts
                user = getattr(listed.world, person)
                assert listed.name(person) in listing, (role, key, person)
                assert user.email in listing, (role, key, person)
            # And nobody of the other account, nor the account member
            other = "b" if key == "a" else "a"
            for person in (*PEOPLE[other], "member_a"):
                user = getattr(listed.world, person)
                assert listed.name(person) not in html, (role, key, person)
                assert user.username not in html, (role, key, person)
                assert user.email not in html, (role, key, person)


def test_an_account_member_sees_their_own_billing_admin_only(listed, client):
    # When the account member opens their account
    world = listed.world
    html = page(client, world.member_a, reverse("contacts:account_home", args=[world.a.number]))
    # Then they are told who their billing admin is
    assert listed.name("contact_a") in html and world.contact_a.email in html
    # And nothing of the other account, nor their account's other contacts and representatives
    for person in ("contact_b", "rep_b", "contact_a2", "rep_a"):
        assert listed.name(person) not in html, person
        assert getattr(world, person).email not in html, person


# --- Account list (/, for customers) ------------------------------------------------------------


def test_a_customer_on_one_account_is_taken_to_that_account(listed, client):
    for role in ("member_a", "contact_a", "contact_b"):
        client.force_login(listed.world.user(role), backend="contacts.backends.LoginIdBackend")
        # When a customer on one account opens the home page
        response = client.get(reverse("contacts:home"))
        # Then they land on their own account
        own = listed.account(HOME_ACCOUNT[role]).number
        assert response.status_code == 302, role
        assert response["Location"] == reverse("contacts:account_home", args=[own]), role


def test_a_customer_on_several_accounts_gets_a_list_of_exactly_those(listed, client):
    # Given a person who is billing contact of A and member of a third account, but not on B
    world = listed.world
    gamma = factories.AccountFactory(number="OV-1000003", name="Gamma SARL")
    person = factories.billing_contact(world.a, username="alpha.gamma")
    factories.billing_contact(gamma, primary=True)
    contact_services.membership_add(account=gamma, user=person, role=MembershipRole.MEMBER)
    # When they open the home page
    html = page(client, person, reverse("contacts:home"))
    # Then their two accounts are listed, and B is not
    assert set(ACCOUNT_NUMBER.findall(html)) == {world.a.number, gamma.number}
    assert "Alpha Corp" in html and "Gamma SARL" in html and "Beta GmbH" not in html


# --- The quote page: revisions and history ----------------------------------------------------


def test_a_quote_page_shows_the_history_of_that_quote_only(listed, client):
    # Given A's reworked quote, and B's quote that went through the same steps
    quote = listed.quotes["a", "reworked"]
    for role in ("contact_a", "rep_a", "deal_desk", "finance"):
        # When a person who may see it opens A's quote
        url = reverse("quotes:detail", args=[quote.number])
        html = page(client, listed.world.user(role), url)
        history = section(html, "hist-h")
        # Then its history holds the customer's change request, by the customer
        assert listed.notes["a", "request"] in history, role
        assert listed.name("contact_a") in history, role
        # And nothing that happened to B's quote, nor to A's other quotes
        assert listed.notes["b", "request"] not in history, role
        assert listed.notes["b", "review"] not in history, role
        assert listed.name("contact_b") not in html and listed.name("rep_b") not in html, role
        for kind in ("draft", "pending", "sent"):
            assert listed.quotes["a", kind].number not in html, (role, kind)


def test_a_customer_sees_neither_internal_steps_nor_drafts_on_the_quote_page(listed, client):
    # Given A's quote: approved by deal desk with a note, sent, changes requested, redrafted
    quote = listed.quotes["a", "reworked"]
    url = reverse("quotes:detail", args=[quote.number])
    # When the billing contact opens it
    html = page(client, listed.world.contact_a, url)
    history, revisions = section(html, "hist-h"), section(html, "revs-h")
    # Then the history shows what happened between them and the vendor
    assert "Quote sent to the customer" in history and "Changes requested" in history
    # But not the vendor's internal steps, nor deal desk's note
    for internal in ("Quote approved by deal desk", "Quote created", "New revision drafted"):
        assert internal not in history
    assert listed.notes["a", "review"] not in html
    # And the revisions listed are those sent to them: revision 1, not the new draft
    assert "Revision 1" in revisions and "Revision 2" not in revisions


def test_staff_see_the_whole_history_and_every_revision(listed, client):
    quote = listed.quotes["a", "reworked"]
    for role in ("rep_a", "deal_desk", "finance"):
        # When a staff member of the account opens the quote
        url = reverse("quotes:detail", args=[quote.number])
        html = page(client, listed.world.user(role), url)
        history, revisions = section(html, "hist-h"), section(html, "revs-h")
        # Then the history includes the internal steps and deal desk's note
        assert "Quote approved by deal desk" in history, role
        assert listed.notes["a", "review"] in history, role
        assert "New revision drafted" in history, role
        # And both revisions are listed
        assert "Revision 1" in revisions and "Revision 2" in revisions, role


def test_the_fixture_builds_what_the_tests_rely_on(listed):
    # Not a behaviour test: it keeps the fixture honest, so that an "in" assertion cannot pass
    # because a quote was never built in the state the tests assume.
    status = {pair: quote.current_revision.status for pair, quote in listed.quotes.items()}
    for key in ("a", "b"):
        assert status[key, "draft"] == "draft"
        assert status[key, "pending"] == "pending_approval"
        assert status[key, "sent"] == "sent"
        assert status[key, "reworked"] == "draft"
        assert listed.quotes[key, "reworked"].current_revision.number == 2
    assert listed.world.finance.staff_role == StaffRole.FINANCE
