import re

import pytest

from tests import factories
from tests import po_builders as pb

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base, path, login):
    page.goto(f"{base}{path}")
    page.fill("#id_username", login)
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_po_amount_change_proposed_approved_and_seen_in_a_real_browser(
    world, live_server, chromium
):
    base = live_server.url
    po = pb.purchase_order(world.a, world.contact_a, "PO-BROWSER", "10000")
    contact = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    rep = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # Given the billing contact finds the PO through the navigation
    _sign_in(contact, base, "/corp-billing/login/", world.contact_a.username)
    contact.click("nav >> text=Purchase orders")
    contact.click("text=PO-BROWSER")
    contact.wait_for_url(f"{base}/purchase-orders/{po.pk}/")
    assert "10,000.00 USD" in contact.inner_text("#po-amount")

    # When they propose a higher amount with a reason
    contact.fill("#id_amount", "12500")
    contact.fill("#id_reason", "Procurement raised the budget")
    contact.click("text=Propose change")
    assert "Your proposed change was sent for review." in contact.inner_text("main")
    assert "Waiting for review" in contact.inner_text("main")

    # And the representative approves it from My tasks
    _sign_in(rep, base, "/login/", world.rep_a.username)
    rep.click("nav >> text=My tasks")
    rep.click("text=Approve or reject the PO change")
    rep.wait_for_url(re.compile(rf".*/purchase-orders/{po.pk}/$"))
    rep.fill("textarea[name=comment]", "Matches the signed PO")
    rep.click("button[value=approve]")
    assert "Approved: the purchase order was changed." in rep.inner_text("main")

    # Then the contact sees the new amount and the history
    contact.reload()
    assert "12,500.00 USD" in contact.inner_text("#po-amount")
    history = contact.inner_text("#po-history")
    assert "Approved and applied" in history
    assert "10,000.00 USD" in history and "12,500.00 USD" in history
    assert "Matches the signed PO" in history
