"""The invoice PDF, read back with pypdf: its lines, totals, status and the billing User ID; user
text printed as typed (escaped, never parsed as markup); the same bytes for the same invoice."""

import io
from datetime import date
from decimal import Decimal

from django.core import mail
from pypdf import PdfReader

from billing_center import pricing, services
from billing_center.documents import InvoiceDocument, InvoiceLineData, render_invoice_pdf
from billing_center.models import Invoice, InvoiceKind

from .builders import add_card, add_plan, at, plan_product


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _doc(**changes) -> InvoiceDocument:
    base = dict(
        vendor_name="LogMeIn, Inc.",
        vendor_address=("320 Summer Street", "Boston, MA 02210", "USA"),
        number="INV-2026-000042",
        kind_label="Prorated charge",
        status_label="Paid",
        issued_on=date(2026, 3, 25),
        period_start=date(2026, 3, 25),
        period_end=date(2026, 4, 10),
        account_name="Initech Studio",
        account_number="OV-2000101",
        billing_address="4120 Freidrich Lane\nAustin, TX 78744",
        billed_to_name="Olivia Nguyen",
        billed_to_login="initech.owner",
        currency="BHD",
        lines=(
            InvoiceLineData(
                "OpenVoice Business: 3 more seats", 3, Decimal("7.525"), Decimal("11.651")
            ),
        ),
        subtotal=Decimal("11.651"),
        tax=Decimal("0.000"),
        total=Decimal("11.651"),
        paid_on=date(2026, 3, 25),
        paid_with="Visa ending in 4242",
    )
    return InvoiceDocument(**{**base, **changes})


def test_lines_totals_status_and_user_id_are_printed():
    text = _text(render_invoice_pdf(_doc()))
    assert "Invoice INV-2026-000042" in text
    assert "Prorated charge — Status: Paid" in text
    assert "User ID: initech.owner" in text
    assert "OpenVoice Business: 3 more seats" in text
    assert "7.525 BHD" in text and "11.651 BHD" in text
    assert "Subtotal" in text and "Total" in text
    assert "Period: 25 March 2026 – 9 April 2026" in text
    assert "Paid on 25 March 2026 with Visa ending in 4242." in text
    assert "Tax" not in text  # no tax line when there is none


def test_user_text_is_printed_as_typed_not_parsed():
    hostile = 'AT&T <Labs> <img src="/etc/passwd"/> a<b'
    text = _text(render_invoice_pdf(_doc(account_name=hostile, billed_to_name="O'Brien & Co")))
    assert 'AT&T <Labs> <img src="/etc/passwd"/> a<b' in text.replace("\n", " ")
    assert "O'Brien & Co" in text


def test_a_due_invoice_says_so_and_the_same_invoice_gives_the_same_bytes():
    doc = _doc(
        status_label="Due",
        paid_on=None,
        paid_with="",
        currency="JPY",
        lines=(InvoiceLineData("Seats", 2, Decimal("2400"), Decimal("4800")),),
        subtotal=Decimal("4800"),
        tax=Decimal("0"),
        total=Decimal("4800"),
    )
    pdf = render_invoice_pdf(doc)
    assert pdf == render_invoice_pdf(doc)
    text = _text(pdf)
    assert "Status: Due" in text and "Amount due: 4,800 JPY." in text


def test_the_emailed_invoice_carries_its_pdf_with_the_user_id(
    ss, django_capture_on_commit_callbacks
):
    # Given 5 seats bought on 10 March and 3 more on 25 March
    add_card(ss.account, ss.contact)
    product = plan_product()
    sub = add_plan(ss.account, ss.contact, product=product, now=at(date(2026, 3, 10), ss.account))
    preview = pricing.seats_preview(subscription=sub, quantity=8, today=date(2026, 3, 25))
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_change_seats(
            actor=ss.contact,
            subscription=sub,
            quantity=8,
            charge_now=preview.charge_now,
            effective_on=preview.effective_on,
            now=at(date(2026, 3, 25), ss.account),
        )
    invoice = Invoice.objects.get(kind=InvoiceKind.PRORATION)
    # Then the invoice's e-mail went to both billing contacts with the PDF attached
    (message,) = [m for m in mail.outbox if invoice.number in m.subject]
    assert sorted(message.to) == sorted([ss.contact.email, ss.contact2.email])
    assert "Your billing User ID: owner@initech.example" in message.body
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    text = _text(content)
    assert f"Invoice {invoice.number}" in text
    assert "User ID: owner@initech.example" in text
    assert "3 more seats (5 → 8) for 16 of 31 days" in text.replace("\n", " ")
    assert "30.97 USD" in text
    assert "Paid on 25 March 2026 with Visa ending in 4242." in text
