"""Builds the PDF's plain data from the models; ``pdf.py`` stays a pure renderer."""

import hashlib
from zoneinfo import ZoneInfo

from django.conf import settings

from .models import QuoteRevision
from .pdf import PdfAcceptance, PdfLine, QuoteDocument, render_quote_pdf

VENDOR_ADDRESS = ("320 Summer Street", "Boston, MA 02210", "USA")


def revision_document(revision: QuoteRevision, *, stamped: bool) -> QuoteDocument:
    quote = revision.quote
    account = quote.account
    acceptance = None
    if stamped and hasattr(revision, "acceptance"):
        accepted = revision.acceptance
        local = accepted.accepted_at.astimezone(ZoneInfo(account.time_zone))
        acceptance = PdfAcceptance(
            accepted_by_name=accepted.accepted_by.display_name,
            accepted_by_login=accepted.accepted_by.username,
            accepted_at=local.date(),
            accepted_pdf_sha256=accepted.pdf_sha256,
        )
    issued = revision.sent_at or revision.created_at
    return QuoteDocument(
        vendor_name=settings.VENDOR_NAME,
        vendor_address=VENDOR_ADDRESS,
        account_name=account.name,
        account_number=account.number,
        billing_address=account.billing_address,
        quote_number=quote.number,
        revision=revision.number,
        # The document a customer accepts must not change when its status does: the status
        # shown is the one it was sent with, and acceptance is added as a stamp.
        status_label="Accepted" if acceptance else "Sent" if revision.sent_at else "Draft",
        issued_on=issued.astimezone(ZoneInfo(account.time_zone)).date(),
        valid_until=revision.valid_until,
        currency=revision.currency,
        term_months=revision.term_months,
        billing_frequency_label=revision.get_billing_frequency_display(),
        prepared_by=quote.created_by.display_name,
        lines=tuple(
            PdfLine(
                sku=line.sku,
                name=line.name,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                net_amount=line.net_amount,
            )
            for line in revision.lines.all()
        ),
        subtotal=revision.subtotal,
        discount_total=revision.discount_total,
        total=revision.total,
        terms=revision.terms,
        notes=revision.notes,
        acceptance=acceptance,
    )


def revision_pdf(revision: QuoteRevision, *, stamped: bool = False) -> bytes:
    return render_quote_pdf(revision_document(revision, stamped=stamped))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
