"""The portal a person is in, as a browser shows it (issue 10): no page scrolls sideways on a
390 px phone, every input has a label, a skip link and an icon, the site's name after a
corporate sign-in and e-mail links that lead through it, and a text area's limit counted as the
person types."""

import re

import pytest
from django.core import mail

from quotes.policy import Action
from tests import factories
from tests import quote_builders as qb
from workflows import services as flow_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# Long unbroken words, as real data has them: a name without spaces, a pasted reference.
LONG_NAME = "Supercalifragilisticexpialidocious" * 3 + "GmbH"
LONG_TITLE = "Renewal-" + "X" * 90 + "-final"


def sign_in(page, base, path, login):
    page.goto(f"{base}{path}")
    page.fill("#id_username", login)
    page.fill("#id_password", factories.PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def long_world(world):
    """Account A named with one 106-character word, and quotes with a 100-character title in
    each state a page lists: sent (the contact's task) and waiting for deal desk."""
    world.a.name = LONG_NAME
    world.a.save(update_fields=["name"])
    sent = qb.sent_quote(world.a, world.rep_a, title=LONG_TITLE)
    pending = qb.pending_approval_quote(world.a, world.rep_a, title=LONG_TITLE + "-2")
    flow_services.quote_decline(
        quote=qb.sent_quote(world.a, world.rep_a, title=LONG_TITLE + "-3"),
        actor=world.contact_a,
        action=Action.REQUEST_CHANGES,
        comment="W" * 300,
    )
    return {"sent": sent, "pending": pending}


def overflow(page) -> int:
    """How far the page scrolls sideways (0: not at all)."""
    return page.evaluate(
        "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize(
    ("role", "login_path"),
    [("contact_a", "/corp-billing/login/"), ("rep_a", "/staff/login/"), ("deal_desk", "/login/")],
)
def test_no_page_scrolls_sideways_on_a_390_px_phone(
    long_world, world, live_server, chromium, screenshot, role, login_path
):
    # Given a phone-sized browser, signed in
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, login_path, world.user(role).username)
    quote = long_world["sent"]
    pages = {
        "quote": f"/quotes/{quote.number}/",
        "list": "/quotes/",
        "inbox": "/tasks/",
        "account": f"/accounts/{world.a.number}/",
    }
    wide = {}
    for name, path in pages.items():
        # When each page is shown
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() == 1, path
        # Then it is no wider than the screen (wide tables scroll inside their own box)
        if overflow(page) > 0:
            wide[name] = overflow(page)
        page.screenshot(path=str(_artifact(f"390-{role}-{name}.png")), full_page=True)
    context.close()
    assert wide == {}, f"pages wider than 390 px (by px): {wide}"


def _artifact(name):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""


def test_every_input_on_the_main_pages_has_a_label(long_world, world, live_server, chromium):
    base = live_server.url
    draft = qb.draft_quote(world.a, world.rep_a, title="Draft with lines")
    visits = {
        ("anonymous", None): [
            "/login/",
            "/corp-billing/login/",
            "/staff/login/",
            "/password-reset/",
        ],
        ("contact_a", "/corp-billing/login/"): [
            f"/quotes/{long_world['sent'].number}/",  # accept / reject / request changes
            "/quotes/",
            "/tasks/",
            f"/accounts/{world.a.number}/",  # contact-change proposals
            "/purchase-orders/",
        ],
        ("rep_a", "/staff/login/"): [
            f"/quotes/{draft.number}/edit/",  # the line items
            f"/accounts/{world.a.number}/quotes/new/",
            f"/quotes/{long_world['sent'].number}/",  # withdraw
            f"/accounts/{world.a.number}/",
        ],
        ("deal_desk", "/staff/login/"): [f"/quotes/{long_world['pending'].number}/"],
        ("member_a", "/login/"): [f"/accounts/{world.a.number}/"],  # e-mail the billing admin
    }
    missing = {}
    for (role, login_path), paths in visits.items():
        context = chromium.new_context()
        page = context.new_page()
        if login_path:
            sign_in(page, base, login_path, world.user(role).username)
        for path in paths:
            response = page.goto(f"{base}{path}")
            assert response.status == 200, (role, path)
            assert page.locator("input, select, textarea").count() > 0, (role, path)
            found = page.evaluate(UNLABELLED)
            if found:
                missing[role, path] = found
        context.close()
    assert missing == {}


def test_a_skip_link_and_an_icon(world, live_server, page):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    sign_in(page, live_server.url, "/corp-billing/login/", world.contact_a.username)
    # The first Tab lands on "Skip to content", which moves to the page's main content
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    # The site has an icon, served by the app (allowed by the CSP: no violation reported)
    href = page.get_attribute("link[rel=icon]", "href")
    icon = page.request.get(f"{live_server.url}{href}")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert violations == []


def test_a_corporate_e_mail_link_leads_through_the_portal_s_sign_in_to_its_page(
    world, live_server, page, settings
):
    # Given a quote sent to the account's billing contacts, its e-mail's link
    quote = qb.sent_quote(world.a, world.rep_a)
    sent = next(m for m in mail.outbox if world.contact_a.email in m.to)
    link = re.search(r"https?://\S+", sent.body)[0]
    link = link.replace(settings.SITE_URL, live_server.url)
    # When the contact opens it, not signed in
    page.goto(link)
    # Then it is the Corporate Billing Portal's sign-in
    assert page.inner_text("h1") == "Log in to the Corporate Billing Portal"
    # And once signed in there, they are on the quote, in the Corporate Billing Portal
    page.fill("#id_username", world.contact_a.username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/quotes/{quote.number}/")
    assert page.inner_text("header .brand") == "OpenVoice Corporate Billing Portal"
    assert page.title().endswith("OpenVoice Corporate Billing Portal")
    # And signing out brings them back to that sign-in
    page.click("text=Sign out")
    page.wait_for_url(f"{live_server.url}/corp-billing/login/")


def test_staff_sign_in_on_their_own_page(world, live_server, page):
    page.goto(f"{live_server.url}/staff/login/")
    assert page.inner_text("h1") == "Staff sign-in"
    assert page.inner_text("label[for=id_username]") == "Login ID"
    sign_in(page, live_server.url, "/staff/login/", world.rep_a.username)
    assert page.inner_text("header .brand") == "OpenVoice billing (staff)"


def test_the_member_s_message_counts_its_limit_and_is_refused_whole(world, live_server, page):
    # Given a member on the "contact your billing admin" page
    sign_in(page, live_server.url, "/login/", world.member_a.username)
    page.goto(f"{live_server.url}/accounts/{world.a.number}/")
    hint = page.locator("#id_message-limit")
    assert hint.inner_text() == "0 of 2,000 characters."
    # When they paste 2,100 characters
    text = "Please add forty seats to the Berlin office. " * 46 + "x" * 30
    assert len(text) == 2100
    page.fill("#id_message", text)
    # Then nothing is cut and the counter says how many are too many
    assert len(page.input_value("#id_message")) == 2100
    assert hint.inner_text() == "2,100 of 2,000 characters: 100 too many."
    # When they send it anyway, it is refused at the message, with their text all there
    page.click("text=Email the billing admin")
    assert "Your message has 2100 characters; at most 2000 fit." in page.inner_text(
        "#id_message_error"
    )
    assert page.input_value("#id_message") == text
    assert mail.outbox == []


# A menu entry broken inside a word wraps onto a second line of its own: its box is then taller
# than one line of text.
BROKEN_MENU_ENTRIES = """() => Array.from(document.querySelectorAll('header.top nav a'))
  .filter(a => a.getClientRects().length > 1
    || a.getBoundingClientRect().height > 1.5 * parseFloat(getComputedStyle(a).lineHeight))
  .map(a => a.textContent)"""


@pytest.mark.parametrize("width", [1024, 1280])
def test_no_menu_entry_is_broken_inside_a_word(world, live_server, chromium, width):
    # Given finance, whose menu is the longest, on a laptop-sized screen
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    sign_in(page, live_server.url, "/staff/login/", world.finance.username)
    page.goto(f"{live_server.url}/finance/exports/")
    # Then every entry of the menu reads whole, on one line
    broken = page.evaluate(BROKEN_MENU_ENTRIES)
    assert page.locator("header.top nav a").count() >= 6
    context.close()
    assert broken == []
