"""Quote PDF rendering: a pure function from a ``QuoteDocument`` to PDF bytes.

No ORM, no settings: the caller builds the document (amounts already rounded, dates already in the
account's time zone) and stores the SHA-256 of the bytes. Three properties matter:

* Safety. Every string reaching a ``Paragraph`` goes through ``_esc``: reportlab parses paragraph
  text as markup, so raw user text can crash it (``a<b``), corrupt it (``AT&T``), create links or
  embed server files (``<img src=...>``).
* Determinism. The same document gives the same bytes (``invariant=1``, no timestamps), so a
  stored hash identifies what the customer accepted.
* Linear cost. One long ``Table`` re-measures and copies every remaining row at each page break,
  which is super-linear; the line table is built one page-sized ``Table`` at a time instead.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from quotes.money import minor_unit, round_money


@dataclass(frozen=True)
class PdfLine:
    sku: str
    name: str
    description: str  # may be ""
    quantity: Decimal
    unit: str  # e.g. "seat / month"
    unit_price: Decimal
    discount_percent: Decimal
    net_amount: Decimal  # already rounded by the caller


@dataclass(frozen=True)
class PdfAcceptance:
    accepted_by_name: str
    accepted_by_login: str  # the billing User ID, e.g. "acme.ap" or "ap@acme.example"
    accepted_at: datetime.date  # already converted to the account's time zone by the caller
    accepted_pdf_sha256: str  # hex digest of the exact PDF that was accepted


@dataclass(frozen=True)
class QuoteDocument:
    vendor_name: str
    vendor_address: tuple[str, ...]
    account_name: str
    account_number: str
    billing_address: str  # multi-line, "\n"-separated, user text
    quote_number: str  # e.g. "Q-2026-000123"
    revision: int
    status_label: str  # e.g. "Sent", "Accepted", "Superseded"
    issued_on: datetime.date
    valid_until: datetime.date
    currency: str  # ISO 4217, see quotes.money.MINOR_UNITS
    term_months: int
    billing_frequency_label: str  # "Monthly" / "Annually"
    prepared_by: str  # representative's name
    lines: tuple[PdfLine, ...]
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    terms: str  # user text, may be multi-line
    notes: str  # user text
    acceptance: PdfAcceptance | None = None


# Measured with bench/pdf_bench.py: a page holds about 45 one-line rows, so a first guess a bit
# above that usually needs a single Table build per page (too small doubles, too large wastes).
DEFAULT_CHUNK_ROWS = 60

PAGE_SIZE = A4
MARGIN = 15 * mm
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN

# Text is cut into pieces of at most this many characters / lines, each piece in its own table
# row, so no single row can outgrow a page (reportlab cannot split inside a row without the
# fragile in-row splitting) and one pasted essay cannot make the render fail.
_CELL_MAX_CHARS = 1200
_NARROW_CELL_MAX_CHARS = 240
_CELL_MAX_LINES = 25

# C0/C1 controls (but tab and newline), DEL and lone surrogates: invisible at best, and a lone
# surrogate cannot be encoded at all.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n|\r|\u2028|\u2029")

_INK = colors.HexColor("#1f2933")
_MUTED = colors.HexColor("#52606d")
_RULE = colors.HexColor("#cbd2d9")
_HEADER_BG = colors.HexColor("#e4e7eb")
_STAMP = colors.HexColor("#0b6e4f")
_STAMP_BG = colors.HexColor("#e3f9e5")


# --- text safety -------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """User text without control characters, with one newline convention."""
    return _CONTROL_CHARS.sub("", _LINE_BREAKS.sub("\n", str(text)))


def _esc(text: str) -> str:
    """User text as safe paragraph markup: cleaned, escaped, then newlines as ``<br/>``.

    Escaping must come first: a ``<br/>`` added before it would be escaped into literal text.
    """
    return escape(_clean(text), quote=True).replace("\n", "<br/>")


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_esc(text), style)


def _p_markup(markup: str, style: ParagraphStyle) -> Paragraph:
    """For markup composed here from ``_esc``-ed pieces only; never pass user text directly."""
    return Paragraph(markup, style)  # markup is built only from _esc() output and fixed tags


def _chunks(text: str, max_chars: int, max_lines: int = _CELL_MAX_LINES) -> list[str]:
    """Cleaned ``text`` cut into pieces small enough for one table row; ``[]`` for blank text.

    Cuts fall on line breaks when possible, else on the last space, else mid-word.
    """
    text = _clean(text)
    if not text.strip():
        return []
    if len(text) <= max_chars and text.count("\n") < max_lines:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        while len(line) > max_chars:
            cut = line.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            head, line = line[:cut], line[cut:].lstrip(" ")
            if current:
                pieces.append("\n".join(current))
                current, size = [], 0
            pieces.append(head)
        if current and (size + len(line) + 1 > max_chars or len(current) >= max_lines):
            pieces.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        pieces.append("\n".join(current))
    return [piece for piece in pieces if piece.strip()] or [text[:max_chars]]


# --- number and date formats -------------------------------------------------------------------


def _plain_number(value: Decimal) -> str:
    """Quantities and percentages: thousands separators, no trailing zeros (``1,000``, ``2.5``)."""
    value = Decimal(value)
    if value == 0:
        return "0"
    return f"{value.normalize():,f}"


def _amount(value: Decimal, currency: str) -> str:
    """An amount in the currency's minor unit, without the code (the table states it once)."""
    return f"{round_money(value, currency):,.{minor_unit(currency)}f}"


def _unit_price(value: Decimal, currency: str) -> str:
    """At least the currency's minor unit, more when the price has them (``0.0125`` per call):
    rounding a unit price to cents would misstate it."""
    value = Decimal(value)
    exponent = value.normalize().as_tuple().exponent
    significant = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f"{value:,.{max(minor_unit(currency), significant)}f}"


def _money(value: Decimal, currency: str) -> str:
    # Same output as quotes.money.format_money; spelt out so a negative discount line reads right.
    return f"{_amount(value, currency)} {currency}"


def _date(value: datetime.date) -> str:
    """ISO dates: unambiguous for customers in any locale."""
    return value.isoformat()


# --- styles ------------------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=9, leading=11.5, textColor=_INK)
    return {
        "base": base,
        "small": ParagraphStyle("small", base, fontSize=8, leading=10),
        "muted": ParagraphStyle("muted", base, fontSize=8, leading=10, textColor=_MUTED),
        "vendor": ParagraphStyle("vendor", base, fontName="Helvetica-Bold", fontSize=14, leading=17),
        "title": ParagraphStyle(
            "title", base, fontName="Helvetica-Bold", fontSize=16, leading=19, alignment=TA_RIGHT
        ),
        "right": ParagraphStyle("right", base, alignment=TA_RIGHT),
        "label": ParagraphStyle("label", base, fontSize=8, leading=10, textColor=_MUTED),
        "h2": ParagraphStyle(
            "h2", base, fontName="Helvetica-Bold", fontSize=10.5, leading=13, spaceBefore=8,
            spaceAfter=3,
        ),
        "cell": ParagraphStyle("cell", base, fontSize=8, leading=9.6),
        "cell_desc": ParagraphStyle("cell_desc", base, fontSize=7.5, leading=9, textColor=_MUTED),
        "stamp_title": ParagraphStyle(
            "stamp_title", base, fontName="Helvetica-Bold", fontSize=14, leading=17,
            textColor=_STAMP,
        ),
        "stamp": ParagraphStyle("stamp", base, fontName="Helvetica-Bold", textColor=_STAMP),
        "stamp_hash": ParagraphStyle("stamp_hash", base, fontSize=8, leading=10, textColor=_STAMP),
    }


# --- the line table ----------------------------------------------------------------------------

_COLUMNS = ("SKU", "Product", "Qty", "Unit", "Unit price", "Disc. %", "Amount")
_FIXED_WIDTHS = (24 * mm, None, 14 * mm, 22 * mm, 25 * mm, 14 * mm, 27 * mm)
_COL_WIDTHS = tuple(
    w if w is not None else FRAME_WIDTH - sum(x for x in _FIXED_WIDTHS if x is not None)
    for w in _FIXED_WIDTHS
)
_NUMERIC_FROM = 2  # columns from Qty on are right-aligned, except Unit

_LINE_TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
        ("BACKGROUND", (0, 0), (-1, 0), _HEADER_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (_NUMERIC_FROM, 0), (-1, -1), "RIGHT"),
        ("ALIGN", (3, 0), (3, -1), "LEFT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)


def _line_rows(line: PdfLine, currency: str, st: dict[str, ParagraphStyle]) -> list[list]:
    """The table rows of one quote line: usually one; more when its text is very long."""
    skus = [_p(piece, st["cell"]) for piece in _chunks(line.sku, _NARROW_CELL_MAX_CHARS)]
    units = [_p(piece, st["cell"]) for piece in _chunks(line.unit, _NARROW_CELL_MAX_CHARS)]
    names = _chunks(line.name, _CELL_MAX_CHARS)
    descriptions = _chunks(line.description, _CELL_MAX_CHARS)
    product: list[Paragraph] = []
    if len(names) <= 1 and len(descriptions) <= 1:
        markup = "<br/>".join(
            [f"<b>{_esc(piece)}</b>" for piece in names]
            + [f'<font size="7.5" color="#52606d">{_esc(piece)}</font>' for piece in descriptions]
        )
        if markup:
            product.append(_p_markup(markup, st["cell"]))
    else:
        product += [_p_markup(f"<b>{_esc(piece)}</b>", st["cell"]) for piece in names]
        product += [_p(piece, st["cell_desc"]) for piece in descriptions]

    first = [
        skus[0] if skus else "",
        product[0] if product else "",
        _plain_number(line.quantity),
        units[0] if units else "",
        _unit_price(line.unit_price, currency),
        _plain_number(line.discount_percent),
        _amount(line.net_amount, currency),
    ]
    rows = [first]
    extra = max(len(skus), len(product), len(units)) - 1
    for i in range(1, extra + 1):
        rows.append(
            [
                skus[i] if i < len(skus) else "",
                product[i] if i < len(product) else "",
                "",
                units[i] if i < len(units) else "",
                "",
                "",
                "",
            ]
        )
    return rows


def _header_row() -> list[str]:
    return list(_COLUMNS)


def _table(rows: list[list]) -> Table:
    return Table(
        rows,
        colWidths=_COL_WIDTHS,
        style=_LINE_TABLE_STYLE,
        repeatRows=1,
        hAlign="LEFT",
    )


class _PagedLineTable(Flowable):
    """The line table, built as one ``Table`` per page.

    A single ``Table`` re-measures and copies every remaining row each time it is split at a page
    end, so its cost grows with rows x pages. Here each page only ever builds a ``Table`` of
    about a page of rows (``chunk_rows``, doubled while it still fits): the part that fits is
    drawn and the rest becomes a new ``_PagedLineTable``. Every page gets exactly one header row,
    at its top, and none appears mid-page.
    """

    def __init__(self, header: list, rows: list[list], chunk_rows: int, start: int = 0):
        super().__init__()
        self._header = header
        self._rows = rows  # shared, never copied, between the pieces of one table
        self._chunk_rows = max(1, chunk_rows)
        self._start = start
        self._fitted: tuple[float, float, Table, int] | None = None
        self.hAlign = "LEFT"

    def _fit(self, avail_width: float, avail_height: float) -> tuple[Table, int]:
        """A table of the next rows: all remaining ones, or enough to overflow the space."""
        if self._fitted and self._fitted[:2] == (avail_width, avail_height):
            return self._fitted[2], self._fitted[3]
        count = self._chunk_rows
        while True:
            end = min(self._start + count, len(self._rows))
            table = _table([self._header, *self._rows[self._start : end]])
            _, height = table.wrap(avail_width, avail_height)
            if height > avail_height or end == len(self._rows):
                break
            count *= 2
        self._fitted = (avail_width, avail_height, table, end)
        return table, end

    def wrap(self, avail_width, avail_height):
        table, _ = self._fit(avail_width, avail_height)
        # Unless it is the last piece, this is the height of a prefix that already overflows:
        # enough for the frame to ask for a split, without measuring the remaining rows.
        self.width, self.height = table._width, table._height
        return self.width, self.height

    def split(self, avail_width, avail_height):
        table, end = self._fit(avail_width, avail_height)
        if end == len(self._rows) and table._height <= avail_height:
            return [table]
        parts = table.split(avail_width, avail_height)
        if not parts:
            return []
        fitted = len(parts[0]._cellvalues) - 1  # minus the header row
        if fitted <= 0:
            return []
        rest = self._start + fitted
        if rest >= len(self._rows):
            return [parts[0]]
        return [parts[0], _PagedLineTable(self._header, self._rows, self._chunk_rows, rest)]

    def drawOn(self, canvas, x, y, _sW=0):
        self._fitted[2].drawOn(canvas, x, y, _sW)


# --- the document ------------------------------------------------------------------------------


def _two_column_block(
    left: list, right: list, widths: tuple[float, float], right_align: bool = False
) -> Table:
    """Two independent columns, one short paragraph per row so the block can break across pages."""
    height = max(len(left), len(right), 1)
    rows = [
        [left[i] if i < len(left) else "", right[i] if i < len(right) else ""]
        for i in range(height)
    ]
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
    if right_align:
        style.append(("ALIGN", (1, 0), (1, -1), "RIGHT"))
    return Table(rows, colWidths=widths, style=style, hAlign="LEFT")


def _labelled(label: str, value: str, st, max_chars: int = _NARROW_CELL_MAX_CHARS) -> list:
    """``Label: value`` as paragraphs, the value cut into row-sized pieces."""
    pieces = _chunks(value, max_chars) or [""]
    first = _p_markup(f'<font color="#52606d">{_esc(label)}</font> {_esc(pieces[0])}', st["base"])
    return [first, *(_p(piece, st["base"]) for piece in pieces[1:])]


def _header_block(doc: QuoteDocument, st) -> list:
    left = [_p(piece, st["vendor"]) for piece in _chunks(doc.vendor_name, _NARROW_CELL_MAX_CHARS)]
    for address_line in doc.vendor_address:
        left += [_p(piece, st["muted"]) for piece in _chunks(address_line, _CELL_MAX_CHARS)]
    right = [_p_markup("QUOTE", st["title"])]  # fixed text, nothing from _esc needed
    right += [_p(piece, st["right"]) for piece in _chunks(doc.quote_number, _CELL_MAX_CHARS)]
    right.append(_p(f"Revision {doc.revision}", st["right"]))
    right += [
        _p_markup(f"Status: <b>{_esc(piece)}</b>", st["right"])
        for piece in _chunks(doc.status_label, _CELL_MAX_CHARS)
    ]
    return [_two_column_block(left, right, (FRAME_WIDTH * 0.6, FRAME_WIDTH * 0.4), True)]


def _parties_block(doc: QuoteDocument, st) -> list:
    left = [_p("Bill to", st["label"])]
    left += [
        _p_markup(f"<b>{_esc(piece)}</b>", st["base"])
        for piece in _chunks(doc.account_name, _CELL_MAX_CHARS)
    ]
    left += _labelled("Account no.", doc.account_number, st)
    left += [_p(piece, st["base"]) for piece in _chunks(doc.billing_address, _CELL_MAX_CHARS, 1)]

    right = [_p("Quote details", st["label"])]
    right += _labelled("Issued:", _date(doc.issued_on), st)
    right += _labelled("Valid until:", _date(doc.valid_until), st)
    right += _labelled("Currency:", doc.currency, st)
    right += _labelled("Term:", f"{doc.term_months} months", st)
    right += _labelled("Billing frequency:", doc.billing_frequency_label, st)
    right += _labelled("Prepared by:", doc.prepared_by, st)
    return [_two_column_block(left, right, (FRAME_WIDTH * 0.55, FRAME_WIDTH * 0.45))]


def _totals_block(doc: QuoteDocument, st) -> list:
    currency = doc.currency
    discount = -doc.discount_total if doc.discount_total else doc.discount_total
    rows = [
        ["Subtotal", _money(doc.subtotal, currency)],
        ["Discount", _money(discount, currency)],
        ["Total", _money(doc.total, currency)],
    ]
    table = Table(
        rows,
        colWidths=(35 * mm, 45 * mm),
        hAlign="RIGHT",
        style=[
            ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
            ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 10.5),
            ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("LINEABOVE", (0, -1), (-1, -1), 0.75, _INK),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ],
    )
    return [Spacer(1, 4), KeepTogether([table])]


def _text_section(title: str, text: str, st) -> list:
    """A heading and the user's text, one paragraph per line so long text breaks across pages."""
    if not _clean(text).strip():
        return []
    story: list = [_p(title, st["h2"])]
    for line in _clean(text).split("\n"):
        story.append(_p(line, st["base"]) if line.strip() else Spacer(1, 5))
    return story


def _acceptance_block(doc: QuoteDocument, st) -> list:
    acceptance = doc.acceptance
    heading = _p("Acceptance", st["h2"])
    if acceptance is None:
        statement = _p(
            "This quote is accepted in the billing portal by a billing contact of the account. "
            "On acceptance the portal records the contact's name, User ID and the date, and "
            "keeps the SHA-256 of this exact document.",
            st["base"],
        )
        sign = Table(
            [["Name", ""], ["User ID", ""], ["Date", ""]],
            colWidths=(25 * mm, 75 * mm),
            hAlign="LEFT",
            style=[
                ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                ("TEXTCOLOR", (0, 0), (-1, -1), _MUTED),
                ("LINEBELOW", (1, 0), (1, -1), 0.5, _INK),
                ("TOPPADDING", (0, 0), (-1, -1), 10),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ],
        )
        return [KeepTogether([heading, statement, Spacer(1, 4), sign])]

    by = (
        f"Accepted by {acceptance.accepted_by_name} ({acceptance.accepted_by_login}) "
        f"on {_date(acceptance.accepted_at)}"
    )
    rows = [[_p("ACCEPTED", st["stamp_title"])]]
    rows += [[_p(piece, st["stamp"])] for piece in _chunks(by, _CELL_MAX_CHARS)]
    rows += [
        [_p(piece, st["stamp_hash"])]
        for piece in _chunks(
            f"SHA-256 of the accepted document: {acceptance.accepted_pdf_sha256}",
            _CELL_MAX_CHARS,
        )
    ]
    stamp = Table(
        rows,
        colWidths=(FRAME_WIDTH,),
        hAlign="LEFT",
        style=[
            ("BOX", (0, 0), (-1, -1), 2, _STAMP),
            ("BACKGROUND", (0, 0), (-1, -1), _STAMP_BG),
            ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ("RIGHTPADDING", (0, 0), (-1, -1), 8),
            ("TOPPADDING", (0, 0), (-1, 0), 6),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
        ],
    )
    return [heading, stamp]


def _story(doc: QuoteDocument, line_table: Flowable, st) -> list:
    story: list = []
    story += _header_block(doc, st)
    story.append(Spacer(1, 6))
    story.append(
        Table([[""]], colWidths=(FRAME_WIDTH,), style=[("LINEBELOW", (0, 0), (-1, -1), 1, _INK)])
    )
    story.append(Spacer(1, 6))
    story += _parties_block(doc, st)
    story.append(Spacer(1, 10))
    story.append(_p(f"All amounts in {doc.currency}.", st["muted"]))
    story.append(Spacer(1, 3))
    story.append(line_table)
    story += _totals_block(doc, st)
    story += _text_section("Terms", doc.terms, st)
    story += _text_section("Notes", doc.notes, st)
    story += _acceptance_block(doc, st)
    return story


def _all_line_rows(doc: QuoteDocument, st) -> list[list]:
    rows: list[list] = []
    for line in doc.lines:
        rows += _line_rows(line, doc.currency, st)
    return rows


def _build(doc: QuoteDocument, line_table: Flowable, st) -> bytes:
    footer = _clean(f"Quote {doc.quote_number} rev {doc.revision}").replace("\n", " ")

    def draw_footer(canvas, template):
        # drawString takes plain text (no markup), so the cleaned text is safe as it is.
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(_MUTED)
        canvas.drawString(MARGIN, MARGIN / 2, f"{footer} \u2014 page {template.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=_clean(f"Quote {doc.quote_number} revision {doc.revision}"),
        author=_clean(doc.vendor_name),
        subject=_clean(f"Quote for {doc.account_name}"),
        creator="corp-billing",
        # Fixed creation date and document ID: the bytes, hence the stored hash, only depend on
        # the document.
        invariant=1,
    )
    template.build(_story(doc, line_table, st), onFirstPage=draw_footer, onLaterPages=draw_footer)
    return buffer.getvalue()


def render_quote_pdf(doc: QuoteDocument, *, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> bytes:
    """The quote as PDF bytes; identical bytes for an identical ``doc``."""
    st = _styles()
    line_table = _PagedLineTable(_header_row(), _all_line_rows(doc, st), chunk_rows)
    return _build(doc, line_table, st)


def render_quote_pdf_single_table(doc: QuoteDocument) -> bytes:
    """The same document with the lines as one big ``Table``: only for bench/pdf_bench.py."""
    st = _styles()
    return _build(doc, _table([_header_row(), *_all_line_rows(doc, st)]), st)
