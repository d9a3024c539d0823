"""Quote PDF rendering: a pure function from a ``QuoteDocument`` to PDF bytes.

No ORM, no settings: the caller builds the document (amounts already rounded, dates already in the
account's time zone, watermark and acceptance block decided from the revision's status) and
stores the SHA-256 of the bytes. Four properties matter:

* Safety. Every string reaching a ``Paragraph`` goes through ``_esc``: reportlab parses paragraph
  text as markup, so raw user text can crash it (``a<b``), corrupt it (``AT&T``), create links or
  embed server files (``<img src=...>``). The line table draws plain text, never parsed
  (``_draw_rows``), so its cells are cleaned but not escaped. All user text loses its control and
  bidirectional formatting characters (``_clean``).
* Honesty. A document says what it is: a revision that cannot be accepted carries its status as a
  watermark on every page and has no acceptance block.
* Determinism. The same document gives the same bytes (``invariant=1``, no timestamps), so a
  stored hash identifies what the customer accepted.
* Linear cost, public API only. One long ``Table`` re-measures and copies every remaining row at
  each page break, which is super-linear; the line table is cut into page-sized pieces instead,
  from rows whose heights are computed up front, each drawn by a small ``Flowable`` of our own
  through the canvas's public text and line calls (see ``_PagedLineTable``). No private method of
  reportlab is overridden or called, and no raw PDF operator is written.
"""

from __future__ import annotations

import datetime
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import TypeVar

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)
from reportlab.platypus.flowables import HRFlowable

from corp_billing.times import account_date, end_of_day
from quotes.money import format_money, minor_unit, round_money
from quotes.periods import term_value, term_words, total_covers


@dataclass(frozen=True)
class PdfLine:
    sku: str
    name: str
    description: str  # may be ""
    quantity: Decimal
    unit: str  # e.g. "seat / year": the unit with the quote's billing period
    unit_price: Decimal
    discount_percent: Decimal
    net_amount: Decimal  # already rounded by the caller


@dataclass(frozen=True)
class PdfAcceptance:
    accepted_by_name: str
    accepted_by_login: str  # the billing User ID, e.g. "acme.ap" or "ap@acme.example"
    accepted_at: datetime.date  # already converted to the account's time zone by the caller
    accepted_pdf_sha256: str  # hex digest of the exact PDF that was accepted
    po_number: str  # the customer's purchase order number, user text, may be ""
    # The second billing contact, where the account needs two to accept.
    second_by_name: str = ""
    second_by_login: str = ""
    second_at: datetime.date | None = None
    second_at_label: str = ""  # as ``accepted_at_label``
    # The moment, formatted by ``corp_billing.times.account_time`` (zone named); when empty,
    # ``accepted_at``'s date is printed.
    accepted_at_label: str = ""
    # The file the hash belongs to, as the quote page offers it for download.
    accepted_pdf_filename: str = ""


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
    # Printed across every page when the revision cannot be accepted, e.g.
    # "SUPERSEDED\nNOT VALID FOR ACCEPTANCE" (the first line large, the others smaller).
    watermark: str | None
    # The signature block, for a revision that may be accepted (sent, current, not expired).
    show_acceptance_block: bool
    acceptance: PdfAcceptance | None = None  # the stamp, for an accepted revision
    title: str = ""  # what the revision offers, user text
    # The account's time zone: dates are printed with it named ("" prints bare dates).
    time_zone: str = ""
    # The frequency's code ("monthly", "annually", "one_time"): what the totals cover.
    billing_frequency: str = ""


# The most rows one piece of the line table may hold. An A4 page holds at most about 50 rows, so
# by default every page gets exactly one piece; a smaller cap only adds pieces (see
# bench/pdf_bench.py).
DEFAULT_CHUNK_ROWS = 100

PAGE_SIZE = A4
MARGIN = 15 * mm
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN

# Long user text is cut into pieces, each in its own table row, so that no row can outgrow a page:
# reportlab does not split a row (short of its fragile in-row splitting) and would fail the whole
# render over one pasted essay. Limits for paragraph cells, in characters and lines...
_CELL_MAX_CHARS = 1200
_NARROW_CELL_MAX_CHARS = 240
_CELL_MAX_LINES = 25
# ...and for the pre-wrapped cells of the line table, in lines (40 lines = 384 of ~745 pt).
_ROW_MAX_LINES = 40

# C0/C1 controls (but tab and newline), DEL and lone surrogates: invisible at best, and a lone
# surrogate cannot be encoded at all. Also the bidirectional formatting characters (embeddings,
# overrides, isolates, LRM/RLM, the Arabic letter mark): they can make text display in another
# order than it is stored ("Trojan Source"), e.g. an amount or an account number reversed.
_CONTROL_CHARS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_LINE_BREAKS = re.compile("\r\n|\r|\u2028|\u2029")

_INK = colors.HexColor("#1f2933")
_MUTED = colors.HexColor("#52606d")
_RULE = colors.HexColor("#cbd2d9")
_HEADER_BG = colors.HexColor("#e4e7eb")
_STAMP = colors.HexColor("#0b6e4f")
_STAMP_BG = colors.HexColor("#e3f9e5")

_T = TypeVar("_T")


# --- text safety -------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """User text without control or bidirectional formatting characters, with one newline
    convention."""
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


def _date(value: datetime.date) -> str:
    """ISO dates: unambiguous for customers in any locale."""
    return value.isoformat()


# --- styles ------------------------------------------------------------------------------------


_Styles = dict[str, ParagraphStyle]


def _styles() -> _Styles:
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=9, leading=11.5, textColor=_INK)
    return {
        "base": base,
        "muted": ParagraphStyle("muted", base, fontSize=8, leading=10, textColor=_MUTED),
        "vendor": ParagraphStyle(
            "vendor", base, fontName="Helvetica-Bold", fontSize=14, leading=17
        ),
        "title": ParagraphStyle(
            "title", base, fontName="Helvetica-Bold", fontSize=16, leading=19, alignment=TA_RIGHT
        ),
        "right": ParagraphStyle("right", base, alignment=TA_RIGHT),
        "label": ParagraphStyle("label", base, fontSize=8, leading=10, textColor=_MUTED),
        "h2": ParagraphStyle(
            "h2",
            base,
            fontName="Helvetica-Bold",
            fontSize=10.5,
            leading=13,
            spaceBefore=8,
            spaceAfter=3,
        ),
        "stamp_title": ParagraphStyle(
            "stamp_title",
            base,
            fontName="Helvetica-Bold",
            fontSize=14,
            leading=17,
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
_TABLE_WIDTH = sum(_COL_WIDTHS)
_COL_LEFT = tuple(sum(_COL_WIDTHS[:i]) for i in range(len(_COL_WIDTHS)))
_RIGHT_ALIGNED = frozenset({2, 4, 5, 6})
_FONT = "Helvetica"
_BOLD = "Helvetica-Bold"
_FONT_SIZE = 8
_LEADING = 9.6
_DESCRIPTION_SIZE = 7.5
_DESCRIPTION_LEADING = 9
_PAD_X = 3
_PAD_Y = 2.5
_RULE_WIDTH = 0.25
_SKU_WIDTH = _COL_WIDTHS[0] - 2 * _PAD_X
_PRODUCT_WIDTH = _COL_WIDTHS[1] - 2 * _PAD_X
_UNIT_WIDTH = _COL_WIDTHS[3] - 2 * _PAD_X
_HEADER_HEIGHT = _LEADING + 2 * _PAD_Y
# Where a right-aligned column's text ends.
_COL_RIGHT = tuple(
    left + width - _PAD_X for left, width in zip(_COL_LEFT, _COL_WIDTHS, strict=True)
)


# Glyph widths of printable ASCII, per 1000 units of font size. Standard fonts have no kerning, so
# summing them is exact, and far cheaper than reportlab's general (pure Python) stringWidth.
_ASCII_WIDTHS = {
    font: {chr(code): stringWidth(chr(code), font, 1000) for code in range(32, 127)}
    for font in (_FONT, _BOLD)
}


def _width(text: str, font: str, size: float) -> float:
    widths = _ASCII_WIDTHS.get(font)
    if widths is None or not (text.isascii() and text.isprintable()):
        return stringWidth(text, font, size)
    return sum(map(widths.__getitem__, text)) * size / 1000


def _wrap_line(line: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap of one line; a word wider than ``width`` is cut between characters."""
    if _width(line, font, size) <= width:
        return [line]
    space = _width(" ", font, size)
    lines: list[str] = []
    current, current_width = "", 0.0
    for word in line.split(" "):
        word_width = _width(word, font, size)
        if current and current_width + space + word_width <= width:
            current, current_width = f"{current} {word}", current_width + space + word_width
            continue
        if current:
            lines.append(current)
        if word_width <= width:
            current, current_width = word, word_width
            continue
        # Standard fonts have no kerning, so character widths add up exactly.
        current, current_width = "", 0.0
        for char in word:
            char_width = _width(char, font, size)
            if current and current_width + char_width > width:
                lines.append(current)
                current, current_width = "", 0.0
            current, current_width = current + char, current_width + char_width
    if current:
        lines.append(current)
    return lines


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Cleaned ``text`` as plain lines no wider than ``width``; ``[]`` for blank text."""
    text = _clean(text).replace("\t", " ").strip("\n")
    if not text.strip():
        return []
    lines: list[str] = []
    for line in text.split("\n"):
        lines += _wrap_line(line, font, size, width)
    return lines


def _groups(lines: Sequence[_T], size: int = _ROW_MAX_LINES) -> list[tuple[_T, ...]]:
    return [tuple(lines[i : i + size]) for i in range(0, len(lines), size)]


# One line of the product cell: (text, font, size, leading, colour).
StyledLine = tuple[str, str, float, float, colors.Color]


@dataclass(frozen=True, slots=True)
class LineRow:
    """One row of the line table: its text, already cleaned and wrapped, and its height.

    A quote line is one row unless its text is longer than a row may be; the rows continuing it
    leave the numbers blank.
    """

    sku: tuple[str, ...]
    product: tuple[StyledLine, ...]
    unit: tuple[str, ...]
    numbers: tuple[str, str, str, str]  # quantity, unit price, discount %, amount
    height: float


def _line_rows(line: PdfLine, currency: str) -> list[LineRow]:
    """The table rows of one quote line, with heights computed up front (lines x leading +
    padding), so that pages can be filled without measuring anything."""
    skus = _groups(_wrap(line.sku, _FONT, _FONT_SIZE, _SKU_WIDTH))
    units = _groups(_wrap(line.unit, _FONT, _FONT_SIZE, _UNIT_WIDTH))
    styled: list[StyledLine] = [
        (text, _BOLD, _FONT_SIZE, _LEADING, _INK)
        for text in _wrap(line.name, _BOLD, _FONT_SIZE, _PRODUCT_WIDTH)
    ] + [
        (text, _FONT, _DESCRIPTION_SIZE, _DESCRIPTION_LEADING, _MUTED)
        for text in _wrap(line.description, _FONT, _DESCRIPTION_SIZE, _PRODUCT_WIDTH)
    ]
    products = _groups(styled)
    numbers = (
        _plain_number(line.quantity),
        _unit_price(line.unit_price, currency),
        _plain_number(line.discount_percent),
        _amount(line.net_amount, currency),
    )
    rows: list[LineRow] = []
    for i in range(max(len(skus), len(products), len(units), 1)):
        sku = skus[i] if i < len(skus) else ()
        unit = units[i] if i < len(units) else ()
        product = products[i] if i < len(products) else ()
        content = max(
            max(len(sku), len(unit), 1) * _LEADING,
            sum(leading for _, _, _, leading, _ in product),
        )
        rows.append(
            LineRow(
                sku=sku,
                product=product,
                unit=unit,
                numbers=numbers if i == 0 else ("", "", "", ""),
                height=content + 2 * _PAD_Y,
            )
        )
    return rows


def line_table_rows(doc: QuoteDocument) -> list[LineRow]:
    """Every row of the document's line table, in order."""
    rows: list[LineRow] = []
    for line in doc.lines:
        rows += _line_rows(line, doc.currency)
    return rows


def _rows_height(rows: Sequence[LineRow], header: bool) -> float:
    return (_HEADER_HEIGHT if header else 0.0) + sum(row.height for row in rows)


def _draw_rows(canvas: Canvas, rows: Sequence[LineRow], header: bool, top: float) -> None:
    """Draws ``rows`` from ``top`` down: header background, all text in one text object (font
    and colour set only when they change), then one rule below every row.

    Plain text, never parsed as markup: user text is drawn literally and must not be escaped
    (an escaped ``&amp;`` would be printed as such). Only the canvas's public calls are used.
    """
    if header:
        canvas.setFillColor(_HEADER_BG)
        canvas.rect(0, top - _HEADER_HEIGHT, _TABLE_WIDTH, _HEADER_HEIGHT, stroke=0, fill=1)
    text = canvas.beginText()
    state: list = [None, None]  # the font (name, size) and colour last set

    def put(x: float, y: float, line: str, font: str, size: float, colour: colors.Color) -> None:
        # Identity checks: fonts and colours here are shared constants, and Color.__eq__ is slow.
        current_font, current_colour = state
        if current_font is None or font is not current_font[0] or size != current_font[1]:
            text.setFont(font, size)
            state[0] = (font, size)
        if colour is not current_colour:
            text.setFillColor(colour)
            state[1] = colour
        text.setTextOrigin(x, y)
        text.textLine(line)

    def right(column: int, y: float, line: str, font: str) -> None:
        put(_COL_RIGHT[column] - _width(line, font, _FONT_SIZE), y, line, font, _FONT_SIZE, _INK)

    y = top
    rules: list[tuple[float, float, float, float]] = []
    if header:
        # Like Table: top-aligned, the first baseline one font size below the padding.
        baseline = y - _PAD_Y - _FONT_SIZE
        for column, label in enumerate(_COLUMNS):
            if column in _RIGHT_ALIGNED:
                right(column, baseline, label, _BOLD)
            else:
                put(_COL_LEFT[column] + _PAD_X, baseline, label, _BOLD, _FONT_SIZE, _INK)
        y -= _HEADER_HEIGHT
        rules.append((0, y, _TABLE_WIDTH, y))
    sku_x = _COL_LEFT[0] + _PAD_X
    product_x = _COL_LEFT[1] + _PAD_X
    unit_x = _COL_LEFT[3] + _PAD_X
    for row in rows:
        baseline = y - _PAD_Y - _FONT_SIZE
        for i, line in enumerate(row.sku):
            put(sku_x, baseline - i * _LEADING, line, _FONT, _FONT_SIZE, _INK)
        line_top = y - _PAD_Y
        for line, font, size, leading, colour in row.product:
            line_top -= leading
            put(product_x, line_top + 0.22 * size, line, font, size, colour)
        for i, line in enumerate(row.unit):
            put(unit_x, baseline - i * _LEADING, line, _FONT, _FONT_SIZE, _INK)
        quantity, unit_price, discount, amount = row.numbers
        if quantity:
            right(2, baseline, quantity, _FONT)
            right(4, baseline, unit_price, _FONT)
            right(5, baseline, discount, _FONT)
            right(6, baseline, amount, _FONT)
        y -= row.height
        rules.append((0, y, _TABLE_WIDTH, y))
    canvas.drawText(text)
    canvas.setStrokeColor(_RULE)
    canvas.setLineWidth(_RULE_WIDTH)
    canvas.lines(rules)


class _LineRows(Flowable):
    """Some rows of the line table, under the column header unless ``header`` is false."""

    def __init__(self, rows: Sequence[LineRow], header: bool) -> None:
        super().__init__()
        self.rows = rows
        self.header = header
        self.width = _TABLE_WIDTH
        self.height = _rows_height(rows, header)
        self.hAlign = "LEFT"

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        _draw_rows(self.canv, self.rows, self.header, self.height)


def _fit(
    rows: Sequence[LineRow], start: int, cap: int, header: bool, space: float
) -> tuple[int, float]:
    """How many rows from ``start`` fit in ``space`` (at most ``cap``), and their height with
    the header; when one does not fit, the height including it (which overflows)."""
    used = _HEADER_HEIGHT if header else 0.0
    end = min(start + cap, len(rows))
    for index in range(start, end):
        height = rows[index].height
        if used + height > space:
            return index - start, used + height
        used += height
    return end - start, used


class _PagedLineTable(Flowable):
    """The line table, split into one ``_LineRows`` per page (at most ``chunk_rows`` rows each).

    A single long ``Table`` re-measures and copies every remaining row each time it is split at
    a page end, so its cost grows with rows x pages. Here row heights are known up front, so
    each piece takes exactly the rows that fit, with the header row, and leaves the rest to a
    new ``_PagedLineTable``: cost stays linear, every page starts with the header, and no header
    appears mid-page.
    """

    def __init__(
        self, rows: list[LineRow], chunk_rows: int, start: int = 0, header: bool = True
    ) -> None:
        super().__init__()
        self.rows = rows  # shared, never copied, between the pieces of one table
        self.chunk_rows = max(1, chunk_rows)
        self.start = start
        self.header = header
        self.hAlign = "LEFT"

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        count, height = _fit(self.rows, self.start, self.chunk_rows, self.header, avail_height)
        # When rows remain beyond the cap or the space, report more than the space so the frame
        # asks for a split; only the last piece is drawn directly.
        self.width = _TABLE_WIDTH
        remaining = len(self.rows) - self.start
        self.height = height if count == remaining else max(height, avail_height + 1)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        count, _ = _fit(self.rows, self.start, self.chunk_rows, self.header, avail_height)
        if count == 0 and len(self.rows) > self.start:
            return []
        rest = self.start + count
        piece = _LineRows(self.rows[self.start : rest], self.header)
        pieces: list[Flowable] = [piece]
        if rest < len(self.rows):
            # Stopped by the cap with room left: continue on this page, without a header. The
            # point of slack absorbs rounding, so that a piece without header can never be
            # pushed to the top of the next page.
            same_page = piece.height + self.rows[rest].height <= avail_height - 1
            pieces.append(_PagedLineTable(self.rows, self.chunk_rows, rest, not same_page))
        return pieces

    def draw(self) -> None:
        rows = self.rows[self.start :]
        _draw_rows(self.canv, rows, self.header, _rows_height(rows, self.header))


# --- the document ------------------------------------------------------------------------------


# Up to this height the two columns of a header block are laid out independently; beyond it (only
# with absurdly long names or addresses) they go row by row, which can break across pages.
_COMPACT_BLOCK_MAX_HEIGHT = 300

_BLOCK_STYLE = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ("TOPPADDING", (0, 0), (-1, -1), 0),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
]


def _two_column_block(left: list, right: list, widths: tuple[float, float]) -> Table:
    """Two columns of short paragraphs, side by side."""
    compact = Table([[left, right]], colWidths=widths, style=_BLOCK_STYLE, hAlign="LEFT")
    if compact.wrap(sum(widths), 1e6)[1] <= _COMPACT_BLOCK_MAX_HEIGHT:
        return compact
    rows = [
        [left[i] if i < len(left) else "", right[i] if i < len(right) else ""]
        for i in range(max(len(left), len(right)))
    ]
    return Table(rows, colWidths=widths, style=_BLOCK_STYLE, hAlign="LEFT")


def _labelled(label: str, value: str, st: _Styles, max_chars: int = _NARROW_CELL_MAX_CHARS) -> list:
    """``Label: value`` as paragraphs, the value cut into row-sized pieces."""
    pieces = _chunks(value, max_chars) or [""]
    first = _p_markup(f'<font color="#52606d">{_esc(label)}</font> {_esc(pieces[0])}', st["base"])
    return [first, *(_p(piece, st["base"]) for piece in pieces[1:])]


def _header_block(doc: QuoteDocument, st: _Styles) -> list:
    left = [_p(piece, st["vendor"]) for piece in _chunks(doc.vendor_name, _NARROW_CELL_MAX_CHARS)]
    for address_line in doc.vendor_address:
        left += [_p(piece, st["muted"]) for piece in _chunks(address_line, _CELL_MAX_CHARS)]
    right = [_p("QUOTE", st["title"])]
    right += [_p(piece, st["right"]) for piece in _chunks(doc.quote_number, _CELL_MAX_CHARS)]
    right.append(_p(f"Revision {doc.revision}", st["right"]))
    right += [
        _p_markup(f"Status: <b>{_esc(piece)}</b>", st["right"])
        for piece in _chunks(doc.status_label, _CELL_MAX_CHARS)
    ]
    return [_two_column_block(left, right, (FRAME_WIDTH * 0.6, FRAME_WIDTH * 0.4))]


def _parties_block(doc: QuoteDocument, st: _Styles) -> list:
    left = [_p("Bill to", st["label"])]
    left += [
        _p_markup(f"<b>{_esc(piece)}</b>", st["base"])
        for piece in _chunks(doc.account_name, _CELL_MAX_CHARS)
    ]
    left += _labelled("Account no.", doc.account_number, st)
    left += [_p(piece, st["base"]) for piece in _chunks(doc.billing_address, _CELL_MAX_CHARS, 1)]

    right = [_p("Quote details", st["label"])]
    if doc.time_zone:
        issued = account_date(doc.issued_on, doc.time_zone)
        valid_until = end_of_day(doc.valid_until, doc.time_zone)
    else:
        issued, valid_until = _date(doc.issued_on), _date(doc.valid_until)
    right += _labelled("Issued:", issued, st)
    right += _labelled("Valid until:", valid_until, st)
    right += _labelled("Currency:", doc.currency, st)
    months = "month" if doc.term_months == 1 else "months"
    right += _labelled("Term:", f"{doc.term_months} {months}", st)
    right += _labelled("Billing frequency:", doc.billing_frequency_label, st)
    right += _labelled("Prepared by:", doc.prepared_by, st)
    return [_two_column_block(left, right, (FRAME_WIDTH * 0.55, FRAME_WIDTH * 0.45))]


def _totals_block(doc: QuoteDocument) -> list:
    currency = doc.currency
    # Shown as a deduction; no "-0.00" when there is none.
    discount = -doc.discount_total if doc.discount_total else doc.discount_total
    covers = total_covers(doc.billing_frequency)
    rows = [
        ["Subtotal", format_money(doc.subtotal, currency)],
        ["Discount", format_money(discount, currency)],
        [f"Total {covers}".strip(), format_money(doc.total, currency)],
    ]
    term = term_value(
        doc.total,
        frequency=doc.billing_frequency,
        term_months=doc.term_months,
        currency=currency,
    )
    if term is not None:
        rows.append(
            [
                f"Term total ({term_words(doc.term_months)})",
                format_money(term.amount, currency),
            ]
        )
    table = Table(
        rows,
        colWidths=(50 * mm, 45 * mm),
        hAlign="RIGHT",
        style=[
            ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
            ("FONT", (0, 2), (-1, 2), "Helvetica-Bold", 10.5),
            ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("LINEABOVE", (0, 2), (-1, 2), 0.75, _INK),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ],
    )
    return [Spacer(1, 4), KeepTogether([table])]


def _text_section(title: str, text: str, st: _Styles) -> list:
    """A heading and the user's text, one paragraph per line so long text breaks across pages."""
    if not _clean(text).strip():
        return []
    story: list = [_p(title, st["h2"])]
    for line in _clean(text).split("\n"):
        story.append(_p(line, st["base"]) if line.strip() else Spacer(1, 5))
    return story


def _signature_block(st: _Styles) -> list[Flowable]:
    heading = _p("Acceptance", st["h2"])
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


def _acceptance_stamp(acceptance: PdfAcceptance, st: _Styles) -> list[Flowable]:
    by = (
        f"Accepted by {acceptance.accepted_by_name} ({acceptance.accepted_by_login}) "
        f"on {acceptance.accepted_at_label or _date(acceptance.accepted_at)}"
    )
    hashed = "the accepted document"
    if acceptance.accepted_pdf_filename:
        hashed = f"the accepted document, the file {acceptance.accepted_pdf_filename}"
    po_number = _clean(acceptance.po_number).strip() or "none given"
    rows = [[_p("ACCEPTED", st["stamp_title"])]]
    rows += [[_p(piece, st["stamp"])] for piece in _chunks(by, _CELL_MAX_CHARS)]
    if acceptance.second_by_login and acceptance.second_at is not None:
        second = (
            f"and by {acceptance.second_by_name} ({acceptance.second_by_login}) "
            f"on {acceptance.second_at_label or _date(acceptance.second_at)}"
        )
        rows += [[_p(piece, st["stamp"])] for piece in _chunks(second, _CELL_MAX_CHARS)]
    rows += [
        [_p(piece, st["stamp"])]
        for piece in _chunks(f"Purchase order number: {po_number}", _CELL_MAX_CHARS)
    ]
    rows += [
        [_p(piece, st["stamp_hash"])]
        for piece in _chunks(
            f"SHA-256 of {hashed}: {acceptance.accepted_pdf_sha256}",
            _CELL_MAX_CHARS,
        )
    ]
    rows += [
        [_p(piece, st["stamp_hash"])]
        for piece in _chunks(
            "This stamped copy records the acceptance; it is not the file that hash belongs "
            "to. The quote page in the billing portal lists both files with their SHA-256.",
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
    return [KeepTogether([_p("Acceptance", st["h2"]), stamp])]


def _acceptance_block(doc: QuoteDocument, st: _Styles) -> list[Flowable]:
    """The stamp of an accepted quote, else the signature block if it may be accepted, else
    nothing (the watermark says why)."""
    if doc.acceptance is not None:
        return _acceptance_stamp(doc.acceptance, st)
    if doc.show_acceptance_block:
        return _signature_block(st)
    return []


def _story(doc: QuoteDocument, line_table: Flowable, st: _Styles) -> list[Flowable]:
    story: list[Flowable] = []
    story += _header_block(doc, st)
    story.append(Spacer(1, 6))
    story.append(HRFlowable(width="100%", thickness=1, color=_INK, spaceAfter=0))
    story.append(Spacer(1, 6))
    story += _parties_block(doc, st)
    story.append(Spacer(1, 10))
    story += [_p(piece, st["h2"]) for piece in _chunks(doc.title, _CELL_MAX_CHARS)]
    story.append(_p(f"All amounts in {doc.currency}.", st["muted"]))
    story.append(Spacer(1, 3))
    story.append(line_table)
    story += _totals_block(doc)
    story += _text_section("Terms", doc.terms, st)
    story += _text_section("Notes", doc.notes, st)
    story += _acceptance_block(doc, st)
    return story


# The watermark runs along the page's diagonal, under the content, in a pale colour: legible
# across the page, while the text drawn over it stays readable.
_WATERMARK_ANGLE = math.degrees(math.atan2(PAGE_SIZE[1], PAGE_SIZE[0]))
_WATERMARK_LENGTH = 0.72 * math.hypot(*PAGE_SIZE)
_WATERMARK_SIZES = (84, 30)  # the largest font size of the first line, and of the others
_WATERMARK_COLOUR = colors.HexColor("#f3b7b2")


def _watermark_lines(watermark: str) -> list[tuple[str, float]]:
    """The watermark's non-blank lines, each with the font size at which it fits the diagonal."""
    lines = [line.strip() for line in _clean(watermark).split("\n") if line.strip()]
    placed = []
    for index, line in enumerate(lines):
        largest = _WATERMARK_SIZES[0 if index == 0 else 1]
        fitting = _WATERMARK_LENGTH / max(stringWidth(line, _BOLD, 1), 1e-6)
        placed.append((line, min(largest, fitting)))
    return placed


def _draw_watermark(canvas: Canvas, lines: list[tuple[str, float]]) -> None:
    """``lines`` centred on the page along its diagonal, the block centred vertically."""
    gaps = [0.35 * size for _, size in lines[1:]]
    total = sum(size for _, size in lines) + sum(gaps)
    canvas.saveState()
    canvas.translate(PAGE_SIZE[0] / 2, PAGE_SIZE[1] / 2)
    canvas.rotate(_WATERMARK_ANGLE)
    canvas.setFillColor(_WATERMARK_COLOUR)
    top = total / 2
    for index, (line, size) in enumerate(lines):
        top -= size + (gaps[index - 1] if index else 0)
        canvas.setFont(_BOLD, size)
        # Cap height is about 0.72 em: the baseline sits so the block's ink is centred.
        canvas.drawCentredString(0, top + 0.14 * size, line)
    canvas.restoreState()


def _build(doc: QuoteDocument, line_table: Flowable, st: _Styles) -> bytes:
    footer = _clean(f"Quote {doc.quote_number} rev {doc.revision}").replace("\n", " ")
    watermark = _watermark_lines(doc.watermark) if doc.watermark else []

    def decorate_page(canvas: Canvas, template: SimpleDocTemplate) -> None:
        # Called before the page's content is drawn, so both lie under it. drawString takes
        # plain text (no markup), so the cleaned text is safe as it is.
        if watermark:
            _draw_watermark(canvas, watermark)
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
    template.build(
        _story(doc, line_table, st), onFirstPage=decorate_page, onLaterPages=decorate_page
    )
    return buffer.getvalue()


def render_quote_pdf(doc: QuoteDocument, *, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> bytes:
    """The quote as PDF bytes; identical bytes for an identical ``doc``."""
    return _build(doc, _PagedLineTable(line_table_rows(doc), chunk_rows), _styles())
