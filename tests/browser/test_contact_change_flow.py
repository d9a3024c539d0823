import re

import pytest
from django.core import mail

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Lavender-Orbit-2031"


def _sign_in(page, base, path, login, password=factories.PASSWORD):
    page.goto(f"{base}{path}")
    page.fill("#id_username", login)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_a_contact_adds_a_colleague_who_sets_a_password_and_signs_in(world, live_server, chromium):
    base = live_server.url
    contact = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    rep = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    colleague = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # Given the billing contact proposes a colleague on the account page, password re-entered
    _sign_in(contact, base, "/corp-billing/login/", world.contact_a.username)
    contact.wait_for_url(f"{base}/accounts/{world.a.number}/")
    contact.fill("#id_add-first_name", "Bea")
    contact.fill("#id_add-last_name", "Buyer")
    contact.fill("#id_add-email", "bea.buyer@alpha.example")
    contact.fill("#id_add-login_id", "alpha.buyer")
    contact.fill("#id_add-password", factories.PASSWORD)
    contact.click("button:text-is('Propose adding')")
    contact.wait_for_url(re.compile(r".*/accounts/OV-1000001/.*"))
    assert "Your proposal was sent to your LogMeIn representative" in contact.inner_text("main")
    assert "Waiting for the representative" in contact.inner_text("#contact-changes")

    # When the representative finds it in My tasks and confirms it
    _sign_in(rep, base, "/login/", world.rep_a.username)
    rep.goto(f"{base}/tasks/")
    assert "Bea Buyer (alpha.buyer)" in rep.inner_text("main")
    rep.click("text=Confirm or decline contact change")
    rep.click("button:text-is('Confirm change')")
    rep.wait_for_load_state()
    assert "Confirmed: the change is in effect" in rep.inner_text("main")

    # Then the colleague gets an invitation and sets a password from its link
    (invitation,) = [m for m in mail.outbox if m.to == ["bea.buyer@alpha.example"]]
    link = re.search(r"https://billing\.openvoice\.example(/invitation/\S+)", invitation.body)
    colleague.goto(f"{base}{link.group(1)}")
    assert "alpha.buyer" in colleague.inner_text("main")
    colleague.fill("#id_new_password1", NEW_PASSWORD)
    colleague.fill("#id_new_password2", NEW_PASSWORD)
    colleague.click("button:text-is('Set password')")
    colleague.wait_for_url(f"{base}/corp-billing/login/")
    assert "Your password is set" in colleague.inner_text("main")

    # And signs in to the Corporate Billing Portal with the new User ID
    colleague.fill("#id_username", "alpha.buyer")
    colleague.fill("#id_password", NEW_PASSWORD)
    colleague.click("main button[type=submit]")
    colleague.wait_for_url(f"{base}/accounts/{world.a.number}/")
    assert "Alpha Corp" in colleague.inner_text("h1")
    assert "Signed in as alpha.buyer" in colleague.inner_text("header")
    assert "Bea Buyer" in colleague.inner_text("section[aria-labelledby=contacts-h]")
