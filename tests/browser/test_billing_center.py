"""The Billing Center in a real browser (issue 12): a self-service billing contact adds seats
(seeing the prorated preview), changes the billing frequency, updates the card, opens the billing
history and downloads an invoice PDF; a member sees "Contact your billing admin" and e-mails the
admin."""

import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from pypdf import PdfReader

from billing_center import pricing
from billing_center.models import Invoice, InvoiceKind, PaymentMethod, Subscription
from tests import factories
from tests.billing_center.builders import add_card, add_plan, at
from tests.billing_center.conftest import ss  # noqa: F401  (the fixture)
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base, login):
    page.goto(f"{base}/login/")
    page.fill("#id_username", login)
    page.fill("#id_password", factories.PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_billing_contact_manages_plans_card_and_history(ss, live_server, page):
    base = live_server.url
    # Given 5 monthly seats bought ten days ago, paid with a Visa
    add_card(ss.account, ss.contact)
    today = pricing.local_today(ss.account)
    sub = add_plan(
        ss.account, ss.contact, quantity=5, now=at(today - timedelta(days=10), ss.account)
    )
    expected = pricing.seats_preview(subscription=sub, quantity=8, today=today).charge_now

    # When the billing contact signs in, they land in the Billing Center
    _sign_in(page, base, ss.contact.username)
    assert page.url == f"{base}/billing-center/{ss.account.number}/"
    assert "Billing Center" in page.inner_text("header")
    assert "OpenVoice Business" in page.inner_text("main")

    # And add 3 seats: the preview shows the prorated charge, which is then charged
    page.click("text=Change seats")
    page.fill("#id_quantity", "8")
    page.click("main button:text-is('Review')")
    preview = page.inner_text(".preview")
    assert f"{expected:,.2f} USD" in preview and "Now, on" in preview
    page.click("main button:text-is('Confirm and pay')")
    assert "was charged" in page.inner_text("main")
    invoice = Invoice.objects.get(kind=InvoiceKind.PRORATION)
    assert invoice.total == expected

    # And change the billing frequency: new price and date shown before confirming
    page.click("text=Change billing frequency")
    page.check("input[value=annually]")
    page.click("main button:text-is('Review')")
    preview = page.inner_text(".preview")
    assert "1,600.00 USD annually" in preview and "At the next renewal" in preview
    page.click("main button:text-is('Confirm for the next renewal')")
    assert Subscription.objects.get().pending_billing_frequency == "annually"
    assert "Pending from" in page.inner_text("main")

    # And update the card
    page.click("nav >> text=Payment information")
    page.fill("#id_holder_name", "Olivia Nguyen")
    page.fill("#id_number", "5555 5555 5555 4444")
    page.fill("#id_exp_month", "10")
    page.fill("#id_exp_year", "2031")
    page.fill("#id_cvc", "321")
    page.click("main button:text-is('Save card')")
    assert "Mastercard •••• 4444 is now your default payment method" in page.inner_text("main")
    assert PaymentMethod.objects.get(is_default=True).last4 == "4444"
    _shot(page, "billing-center-payment")

    # And open the billing history and download the prorated charge's invoice
    page.click("nav >> text=Billing history")
    assert invoice.number in page.inner_text("main")
    page.click(f"text={invoice.number}")
    with page.expect_download() as download_info:
        page.click("text=Download PDF")
    pdf = PdfReader(io.BytesIO(download_info.value.path().read_bytes()))
    text = "".join(p.extract_text() for p in pdf.pages)
    # Then the PDF is that invoice, addressed to the contact's User ID
    assert f"Invoice {invoice.number}" in text
    assert f"User ID: {ss.contact.username}" in text
    assert f"{expected:,.2f} USD" in text
    _shot(page, "billing-center-invoice")


def test_member_sees_contact_your_billing_admin_and_emails_them(ss, live_server, page):
    base = live_server.url
    _sign_in(page, base, ss.member.username)
    page.goto(f"{base}/billing-center/{ss.account.number}/invoices/")
    main = page.inner_text("main")
    assert re.search(r"Contact your billing admin \(Olivia Nguyen, .+\) to make product", main)
    page.fill("#id_message", "Please add 3 seats for the new hires.")
    page.click("main button:text-is('Email the billing admin')")
    assert "Your message was sent to Olivia Nguyen" in page.inner_text("main")
    assert any("Please add 3 seats" in m.body for m in mail.outbox)
