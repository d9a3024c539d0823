"""The invoice PDF: ``invoice_document`` reads the models, ``render_invoice_pdf`` is a pure
function from that plain data to bytes (reportlab, public API only).

Every string that reaches a ``Paragraph`` is escaped (``_esc``): reportlab parses paragraph text
as markup, so a product or account name such as ``AT&T <Labs>`` would otherwise be corrupted,
crash the renderer or pull in a server file through ``<img>``. Control and bidirectional
formatting characters are dropped first. An invoice is short (a few lines), so one ``Table``
is the right tool here; long quotes have their own paged renderer in ``quotes.pdf``.

The document states what it is: its status (paid or due) is printed in the header, and it names
the billing User ID of the contact it is addressed to, as the seed says the User ID is found on
an emailed invoice.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from quotes.money import format_money

from .models import Invoice

VENDOR_ADDRESS = ("320 Summer Street", "Boston, MA 02210", "USA")


@dataclass(frozen=True)
class InvoiceLineData:
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    vendor_name: str
    vendor_address: tuple[str, ...]
    number: str
    kind_label: str
    status_label: str
    issued_on: datetime.date
    period_start: datetime.date
    period_end: datetime.date  # exclusive; printed as the last day of the period
    account_name: str
    account_number: str
    billing_address: str
    billed_to_name: str
    billed_to_login: str
    currency: str
    lines: tuple[InvoiceLineData, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    paid_on: datetime.date | None
    paid_with: str


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    account = invoice.account
    paid_on = None
    if invoice.paid_at is not None:
        paid_on = invoice.paid_at.astimezone(ZoneInfo(account.time_zone)).date()
    return InvoiceDocument(
        vendor_name=settings.VENDOR_NAME,
        vendor_address=VENDOR_ADDRESS,
        number=invoice.number,
        kind_label=invoice.get_kind_display(),
        status_label=invoice.get_status_display(),
        issued_on=invoice.issued_on,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        account_name=account.name,
        account_number=account.number,
        billing_address=account.billing_address,
        billed_to_name=invoice.billed_to_name,
        billed_to_login=invoice.billed_to_login,
        currency=invoice.currency,
        lines=tuple(
            InvoiceLineData(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
            )
            for line in invoice.lines.all()
        ),
        subtotal=invoice.subtotal,
        tax=invoice.tax,
        total=invoice.total,
        paid_on=paid_on,
        # The page's "Visa •••• 4242": the PDF's standard fonts have no bullet glyph.
        paid_with=invoice.paid_with.replace("•••• ", "ending in "),
    )


# C0/C1 controls (but tab and newline) and the bidirectional formatting characters, which could
# make a printed name read differently from what was stored.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _esc(text: str) -> str:
    return escape(_UNPRINTABLE.sub("", text), quote=False).replace("\n", "<br/>")


def _date(day: datetime.date) -> str:
    return f"{day:%d %B %Y}".lstrip("0")


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=9.5, leading=12)
    return {
        "base": base,
        "title": ParagraphStyle(
            "title", parent=base, fontName="Helvetica-Bold", fontSize=16, leading=20
        ),
        "bold": ParagraphStyle("bold", parent=base, fontName="Helvetica-Bold"),
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#555555")
        ),
        "right": ParagraphStyle("right", parent=base, alignment=2),
    }


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    st = _styles()
    money = lambda amount: format_money(amount, doc.currency)  # noqa: E731
    last_day = doc.period_end - datetime.timedelta(days=1)
    story: list = [
        Paragraph(f"Invoice {_esc(doc.number)}", st["title"]),
        Paragraph(f"{_esc(doc.kind_label)} — Status: <b>{_esc(doc.status_label)}</b>", st["base"]),
        Spacer(1, 4 * mm),
    ]
    vendor = "<br/>".join(_esc(x) for x in (doc.vendor_name, *doc.vendor_address))
    customer = "<br/>".join(
        [
            f"<b>{_esc(doc.account_name)}</b>",
            f"Account {_esc(doc.account_number)}",
            _esc(doc.billing_address),
        ]
    )
    facts = "<br/>".join(
        [
            f"Issued: {_date(doc.issued_on)}",
            f"Period: {_date(doc.period_start)} – {_date(last_day)}",
            f"Billed to: {_esc(doc.billed_to_name)}",
            f"User ID: {_esc(doc.billed_to_login)}",
        ]
    )
    parties = Table(
        [
            [
                Paragraph(vendor, st["base"]),
                Paragraph(customer, st["base"]),
                Paragraph(facts, st["base"]),
            ]
        ],
        colWidths=[55 * mm, 60 * mm, 60 * mm],
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [parties, Spacer(1, 6 * mm)]
    rows = [["Description", "Seats", "Unit price", "Amount"]]
    for line in doc.lines:
        rows.append(
            [
                Paragraph(_esc(line.description), st["base"]),
                str(line.quantity),
                money(line.unit_price),
                money(line.amount),
            ]
        )
    rows.append(["", "", "Subtotal", money(doc.subtotal)])
    if doc.tax:
        rows.append(["", "", "Tax", money(doc.tax)])
    rows.append(["", "", "Total", money(doc.total)])
    table = Table(rows, colWidths=[95 * mm, 15 * mm, 32 * mm, 33 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEABOVE", (2, -1), (-1, -1), 0.6, colors.black),
                ("FONTNAME", (2, -1), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 6 * mm)]
    if doc.paid_on is not None:
        paid = f"Paid on {_date(doc.paid_on)}"
        if doc.paid_with:
            paid += f" with {_esc(doc.paid_with)}"
        story.append(Paragraph(paid + ".", st["bold"]))
    else:
        story.append(Paragraph(f"Amount due: {money(doc.total)}.", st["bold"]))
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            "Sign in to the Billing Center with your User ID to view your billing history and "
            "update your payment information.",
            st["small"],
        )
    )
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        title=f"Invoice {doc.number}",
        author=doc.vendor_name,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        invariant=1,
    ).build(story)
    return out.getvalue()


def invoice_pdf(invoice: Invoice) -> bytes:
    return render_invoice_pdf(invoice_document(invoice))


def invoice_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"
