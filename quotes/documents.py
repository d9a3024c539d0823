"""Builds the PDF's plain data from the models; ``pdf.py`` stays a pure renderer.

What a PDF says about itself follows from the revision's status, as the customer should read it:

* a sent revision (current, not expired) has the acceptance (signature) block and no watermark;
* an accepted one, stamped, has the acceptance stamp (who, User ID, date, PO number, SHA-256;
  both signers where the account needs two);
* one accepted once and awaiting a second billing contact is shown as it was sent, so that the
  second contact reads (and can hash) exactly what the first one accepted;
* every other one (draft, pending internal approval, changes requested, rejected, expired,
  withdrawn, superseded) carries its status as a watermark across every page and has no
  acceptance block. A revision that is no longer the quote's current one is superseded, whatever
  its stored status.

The unstamped PDF of an accepted revision is the PDF as it was sent and accepted: its bytes do not
depend on the status having changed since, so it still hashes to the stored SHA-256.
"""

import hashlib

from django.conf import settings

from corp_billing.times import account_time, local_time

from . import policy
from .models import QuoteRevision, RevisionStatus
from .pdf import PdfAcceptance, PdfLine, QuoteDocument, render_quote_pdf

VENDOR_ADDRESS = ("320 Summer Street", "Boston, MA 02210", "USA")

NOT_VALID = "NOT VALID FOR ACCEPTANCE"


def revision_document_status(revision: QuoteRevision) -> RevisionStatus:
    """The status a document of ``revision`` states: its stored status, except that a revision
    no longer current is superseded and a sent one past its validity is expired (the expiry job
    may not have run yet)."""
    if revision.quote.current_revision_id != revision.pk:
        return RevisionStatus.SUPERSEDED
    status = RevisionStatus(revision.status)
    if status in policy.UNDECIDED and policy.is_expired(revision):
        return RevisionStatus.EXPIRED
    if status == RevisionStatus.AWAITING_SECOND:
        return RevisionStatus.SENT
    return status


def watermark_for(status: RevisionStatus) -> str | None:
    """The watermark of a document in ``status``; ``None`` for one that is or was acceptable."""
    if status in (RevisionStatus.SENT, RevisionStatus.ACCEPTED):
        return None
    return f"{status.label.upper()}\n{NOT_VALID}"


def revision_document(revision: QuoteRevision, *, stamped: bool) -> QuoteDocument:
    quote = revision.quote
    account = quote.account
    status = revision_document_status(revision)
    if status == RevisionStatus.ACCEPTED and not stamped:
        # The original: the document as it was sent, hence as it was accepted.
        status = RevisionStatus.SENT
    acceptance = None
    if status == RevisionStatus.ACCEPTED and hasattr(revision, "acceptance"):
        accepted = revision.acceptance
        second = accepted.second_accepted_by
        acceptance = PdfAcceptance(
            accepted_by_name=accepted.accepted_by.display_name,
            accepted_by_login=accepted.accepted_by.username,
            accepted_at=local_time(accepted.accepted_at, account).date(),
            accepted_pdf_sha256=accepted.pdf_sha256,
            po_number=accepted.po_number,
            accepted_at_label=account_time(accepted.accepted_at, account),
            accepted_pdf_filename=pdf_filename(revision, original=True),
            second_by_name=second.display_name if second else "",
            second_by_login=second.username if second else "",
            second_at=(
                local_time(accepted.second_accepted_at, account).date()
                if accepted.second_accepted_at
                else None
            ),
            second_at_label=(
                account_time(accepted.second_accepted_at, account)
                if accepted.second_accepted_at
                else ""
            ),
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
        status_label=status.label,
        issued_on=local_time(issued, account).date(),
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
        watermark=watermark_for(status),
        show_acceptance_block=status == RevisionStatus.SENT,
        acceptance=acceptance,
        title=revision.title or quote.title,
        time_zone=account.time_zone,
        billing_frequency=revision.billing_frequency,
    )


def revision_pdf(revision: QuoteRevision, *, stamped: bool = False) -> bytes:
    """The revision's PDF; ``stamped=False`` gives an accepted revision's PDF as it was sent."""
    return render_quote_pdf(revision_document(revision, stamped=stamped))


def pdf_filename(revision: QuoteRevision, *, original: bool = False) -> str:
    """The download's file name: the page names the same files next to their hashes."""
    suffix = "-as-accepted" if original else ""
    return f"{revision.quote.number}-rev{revision.number}{suffix}.pdf"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
