import re

import pytest
from django.core import mail

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_contact_signs_in_sees_account_home_and_wrong_password_is_explained(
    world, live_server, page, screenshot
):
    # Given the Corporate Billing Portal login page
    page.goto(f"{live_server.url}/corp-billing/login/")
    assert "located on your emailed invoice" in page.content()
    # When a wrong password is typed
    page.fill("#id_username", world.contact_a.username)
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    # Then the seed's message is shown
    alert = page.locator("[role=alert]")
    assert "Invalid User ID/password" in alert.inner_text()
    assert "you aren't a billing contact for the account" in alert.inner_text()
    screenshot("login-invalid")
    # When the right password is typed
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    # Then the account home shows the account, its representative and contacts
    page.wait_for_url(re.compile(rf".*/accounts/{world.a.number}/$"))
    assert page.locator("h1").inner_text() == "Alpha Corp"
    body = page.inner_text("main")
    assert world.a.number in body
    assert world.rep_a.get_full_name() in body
    assert world.contact_a2.username in body
    screenshot("account-home")


def test_forgot_password_link_sets_a_password_that_signs_in(world, live_server, page):
    new_password = "Quartz-Meadow-4471"
    # Given the contact asks for a reset link
    page.goto(f"{live_server.url}/corp-billing/login/")
    page.click("text=Forgot Password?")
    page.fill("#id_username", world.contact_a.username)
    page.click("button[type=submit]")
    assert "Check your e-mail" in page.inner_text("h1")
    # When they open the e-mailed link (built from SITE_URL, so re-based on the test server)
    (message,) = mail.outbox
    link = re.search(r"https://\S+", message.body).group(0)
    page.goto(link.replace("https://billing.openvoice.example", live_server.url))
    page.fill("#id_new_password1", new_password)
    page.fill("#id_new_password2", new_password)
    page.click("button[type=submit]")
    assert "Your new password is set" in page.inner_text("h1")
    # Then the new password signs in
    page.click("text=Log in to the Corporate Billing Portal")
    page.fill("#id_username", world.contact_a.username)
    page.fill("#id_password", new_password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf".*/accounts/{world.a.number}/$"))
    assert page.locator("h1").inner_text() == "Alpha Corp"
