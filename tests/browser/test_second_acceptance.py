"""Issue 11 in a real browser: the representative sets a two-signature amount on the account
page, and two different billing contacts accept the same quote."""

import hashlib
import io
import re

import pytest
from pypdf import PdfReader

from quotes.models import Acceptance
from tests import quote_builders as qb
from tests.browser.test_quote_flow import _artifact, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _accept_with_new_po(page, po_number: str) -> None:
    page.fill("#po-number", po_number)
    page.fill("#po-amount", "10000")
    page.fill("#po-valid-from", "2020-01-01")
    page.fill("#po-valid-to", "2099-12-31")
    page.click("button[value=accept]")


def test_two_billing_contacts_accept_in_a_real_browser(world, live_server, chromium):
    base = live_server.url
    rep, first, second = (
        chromium.new_context(viewport={"width": 1280, "height": 900}).new_page() for _ in range(3)
    )

    # Given the representative sets, on the account page, a second contact above 1,000
    _sign_in(rep, base, "/login/", world.rep_a.username)
    rep.goto(f"{base}/accounts/{world.a.number}/")
    rep.fill("#id_amount", "1000")
    with rep.expect_navigation():
        rep.click("form[action$='/second-acceptance/'] button[type=submit]")
    assert "Two different billing contacts above 1,000.00 USD" in rep.inner_text(
        "#second-acceptance"
    )
    # And a 2,400 quote is sent to the account
    quote = qb.sent_quote(world.a, world.rep_a)

    # When the first billing contact accepts it with a PO
    _sign_in(first, base, "/corp-billing/login/", world.contact_a.username)
    first.goto(f"{base}/quotes/{quote.number}/")
    assert "need two different billing contacts" in first.inner_text("main")
    with first.expect_navigation():
        _accept_with_new_po(first, "PO-2SIG-1")

    # Then it says who accepted and that a second contact is awaited; they cannot sign again
    awaiting = first.inner_text("#awaiting-second")
    assert f"Accepted by {world.contact_a.display_name}" in awaiting
    assert "awaiting a second billing contact" in awaiting
    assert first.locator("#second-acceptance").count() == 0
    sha = Acceptance.objects.get().pdf_sha256

    # When the second billing contact finds it in My tasks
    _sign_in(second, base, "/corp-billing/login/", world.contact_a2.username)
    second.click("text=My tasks")
    second.click("text=Give the second acceptance or reject")
    second.wait_for_url(re.compile(rf".*/quotes/{quote.number}/$"))
    # They see the same document: the SHA-256 on the page is that of the PDF they download
    assert sha in second.inner_text("#second-acceptance")
    with second.expect_download() as download_info:
        second.click("#second-acceptance a")
    assert hashlib.sha256(download_info.value.path().read_bytes()).hexdigest() == sha
    second.screenshot(path=str(_artifact("quote-awaiting-second.png")), full_page=True)

    # And give the second acceptance
    second.check("#second-acceptance input[name=confirm]")
    with second.expect_navigation():
        second.click("#second-acceptance button[type=submit]")

    # Then the quote is accepted, and the stamped PDF names both signers
    assert second.inner_text("h1 .badge") == "Accepted"
    assert f"Second acceptance by {world.contact_a2.display_name}" in second.inner_text("main")
    second.screenshot(path=str(_artifact("quote-accepted-twice.png")), full_page=True)
    with second.expect_download() as download_info:
        second.click("text=Download PDF")
    pdf = PdfReader(io.BytesIO(download_info.value.path().read_bytes()))
    text = "".join(page.extract_text() for page in pdf.pages)
    one, two = world.contact_a, world.contact_a2
    assert f"Accepted by {one.get_full_name()} ({one.username})" in text
    assert f"and by {two.get_full_name()} ({two.username})" in text
