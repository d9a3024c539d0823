import io
import re

import pytest
from pypdf import PdfReader

from tests import factories
from tests import quote_builders as qb

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base, path, login):
    page.goto(f"{base}{path}")
    page.fill("#id_username", login)
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_quote_round_trip_in_a_real_browser(world, live_server, chromium):
    base = live_server.url
    item = qb.product()
    rep = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    contact = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # Given the representative drafts a quote with one line and sends it
    _sign_in(rep, base, "/login/", world.rep_a.username)
    rep.goto(f"{base}/accounts/{world.a.number}/")
    rep.click("text=New quote")
    rep.fill("#id_title", "2027 renewal")
    rep.click("main button[type=submit]")
    rep.wait_for_url(re.compile(r".*/quotes/Q-\d{4}-\d{6}/edit/$"))
    number = re.search(r"(Q-\d{4}-\d{6})", rep.url).group(1)
    rep.select_option("#id_lines-0-product", str(item.pk))
    rep.fill("#id_lines-0-quantity", "10")
    rep.click("main button:text-is('Save')")
    rep.wait_for_url(f"{base}/quotes/{number}/")
    rep.click("text=Submit quote")
    assert "Sent" in rep.inner_text("h1")

    # When the billing contact signs in, finds it in My tasks and requests changes
    _sign_in(contact, base, "/corp-billing/login/", world.contact_a.username)
    contact.click("text=My tasks")
    assert number in contact.inner_text("main")
    contact.click("text=Accept, reject or request changes")
    contact.fill("#decision-comment", "We need 12 seats, not 10.")
    contact.click("button[value=request_changes]")
    assert "Changes requested" in contact.inner_text("h1")

    # And the representative revises: revision 2 with 12 seats
    rep.goto(f"{base}/tasks/")
    rep.click("text=Revise and resubmit")
    rep.click("text=Revise: start revision 2")
    rep.wait_for_url(f"{base}/quotes/{number}/edit/")
    rep.fill("#id_lines-0-quantity", "12")
    rep.click("main button:text-is('Save')")
    rep.click("text=Submit quote")
    assert "revision 2" in rep.inner_text("h1")

    # Then the contact sees what changed, accepts with a PO and downloads the stamped PDF
    contact.goto(f"{base}/quotes/{number}/")
    assert "Changes since revision 1" in contact.inner_text("main")
    assert "Quantity: 10.00 → 12.00" in contact.inner_text("main")
    contact.fill("#po-number", "PO-2027-001")
    contact.fill("#po-amount", "10000")
    contact.fill("#po-valid-from", "2020-01-01")
    contact.fill("#po-valid-to", "2099-12-31")
    contact.click("button[value=accept]")
    assert "Accepted by" in contact.inner_text("main")
    contact.screenshot(path=str(_artifact("quote-accepted.png")), full_page=True)
    with contact.expect_download() as download_info:
        contact.click("text=Download PDF")
    pdf = PdfReader(io.BytesIO(download_info.value.path().read_bytes()))
    text = "".join(page.extract_text() for page in pdf.pages)
    user = world.contact_a
    assert f"Accepted by {user.get_full_name()} ({user.username})" in text
    assert number in text


def _artifact(name):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
