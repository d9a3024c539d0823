"""Quote PDF rendering: a pure function from a ``QuoteDocument`` to PDF bytes.

No ORM, no settings: the caller builds the document (amounts already rounded, dates already in the
account's time zone) and stores the SHA-256 of the bytes. Three properties matter:

* Safety. Every string reaching a ``Paragraph`` goes through ``_esc``: reportlab parses paragraph
  text as markup, so raw user text can crash it (``a<b``), corrupt it (``AT&T``), create links or
  embed server files (``<img src=...>``). The line table draws plain text, never parsed
  (``_TextLines``, ``_LineTable``), so its cells are cleaned but not escaped. All user text loses
  its control and bidirectional formatting characters (``_clean``).
* Determinism. The same document gives the same bytes (``invariant=1``, no timestamps), so a
  stored hash identifies what the customer accepted.
* Linear cost. One long ``Table`` re-measures and copies every remaining row at each page break,
  which is super-linear; the line table is built one page-sized ``Table`` at a time instead, from
  rows whose heights are computed up front (see ``_PagedLineTable``).
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
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable
from reportlab.platypus.tables import CellStyle

from quotes.money import format_money, minor_unit, round_money


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


# The most rows one line Table may hold. An A4 page holds at most about 50 rows, so by default
# every page gets exactly one Table; a smaller cap only adds Tables (see bench/pdf_bench.py).
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


def _styles() -> dict[str, ParagraphStyle]:
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
_RIGHT_ALIGNED = frozenset({2, 4, 5, 6})
_FONT_SIZE = 8
_LEADING = 9.6
_PAD_X = 3
_PAD_Y = 2.5
_SKU_WIDTH = _COL_WIDTHS[0] - 2 * _PAD_X
_PRODUCT_WIDTH = _COL_WIDTHS[1] - 2 * _PAD_X
_UNIT_WIDTH = _COL_WIDTHS[3] - 2 * _PAD_X
_HEADER_HEIGHT = _LEADING + 2 * _PAD_Y


def _cell_styles(prefix: str, font: str) -> list[CellStyle]:
    styles = []
    for column in range(len(_COLUMNS)):
        style = CellStyle(f"{prefix}-{column}")
        style.fontname, style.fontsize, style.leading = font, _FONT_SIZE, _LEADING
        style.color = _INK
        style.valign = "TOP"
        style.alignment = "RIGHT" if column in _RIGHT_ALIGNED else "LEFT"
        style.leftPadding = style.rightPadding = _PAD_X
        style.topPadding = style.bottomPadding = _PAD_Y
        styles.append(style)
    return styles


# Cell styles are given to every line Table ready-made, one shared list per kind of row, rather
# than as TableStyle cell commands: those would build and update a CellStyle per cell per Table.
# Safe to share because no Table here gets a cell command that would modify them in place.
_HEADER_CELL_STYLES = _cell_styles("line-header", "Helvetica-Bold")
_BODY_CELL_STYLES = _cell_styles("line-body", "Helvetica")
_LINE_TABLE_STYLE = TableStyle(
    [
        ("BACKGROUND", (0, 0), (-1, 0), _HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE),
    ]
)
_CONTINUATION_STYLE = TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE)])


# Glyph widths of printable ASCII, per 1000 units of font size. Standard fonts have no kerning, so
# summing them is exact, and far cheaper than reportlab's general (pure Python) stringWidth.
_ASCII_WIDTHS = {
    font: {chr(code): stringWidth(chr(code), font, 1000) for code in range(32, 127)}
    for font in ("Helvetica", "Helvetica-Bold")
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


def _groups(lines: list, size: int = _ROW_MAX_LINES) -> list[list]:
    return [lines[i : i + size] for i in range(0, len(lines), size)]


class _TextLines(Flowable):
    """Pre-wrapped lines of plain text, each with its own font and colour.

    Drawn as plain text, never parsed as markup, so user text is drawn literally and must not be
    escaped (an escaped ``&amp;`` would be printed as such). Wrapping once up front, rather than a
    ``Paragraph`` per cell re-wrapped at every measurement, is what keeps a line cheap.
    """

    def __init__(self, lines: list[tuple[str, str, float, float, colors.Color]], width: float):
        super().__init__()
        self.lines = lines  # (text, font, size, leading, colour)
        self.width = width
        self.height = sum(leading for _, _, _, leading, _ in lines)

    def wrap(self, avail_width, avail_height):
        return self.width, self.height

    def draw(self):
        # Only used outside _LineTable, which writes these lines into its own text object.
        text = self.canv.beginText()
        y = self.height
        for line, font, size, leading, colour in self.lines:
            y -= leading
            text.setFont(font, size, leading)
            text.setFillColor(colour)
            text.setTextOrigin(0, y + 0.22 * size)
            text.textLine(line)
        self.canv.drawText(text)


def _pdf_literal(line: str) -> str | None:
    """``line`` as a PDF string literal, or ``None`` unless it is printable ASCII.

    Printable ASCII is its own WinAnsi encoding; only the three characters with a meaning inside
    a literal (backslash first) need escaping. Anything else is left to reportlab.
    """
    if not (line.isascii() and line.isprintable()):
        return None
    return "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


class _LineTable(Table):
    """A ``Table`` that writes its text cheaply.

    ``drawString`` costs a text object per cell and formats every operator in pure Python; with
    seven cells a line that was most of the cost of a long quote. Here the printable-ASCII lines
    of a cell (nearly all: SKUs, numbers, most names) are written as plain ``Tm``/``Tj`` pairs in
    one text block, font and colour are set through the canvas only when they change, and any
    other text goes through ``drawString``. Each cell is complete when ``_drawCell`` returns, so
    the graphics state the text relies on is the one ``Table`` drew it in. Cells that are not
    text are left to ``Table``; ``_drawCell`` is reportlab's per-cell hook, and were it renamed,
    ``Table`` would simply draw every cell itself again.
    """

    def draw(self):
        self._text_style: tuple | None = None
        super().draw()
        del self._text_style

    def _write(self, placed: list[tuple[float, float, str]], font, size, leading, colour) -> None:
        """Writes lines ``(x, y, text)`` in one font and colour."""
        canvas = self.canv
        style = self._text_style
        # Identity checks: fonts and colours here are shared constants, and Color.__eq__ is slow.
        if style is None or font is not style[0] or size != style[1] or colour is not style[3]:
            canvas.setFont(font, size, leading)
            canvas.setFillColor(colour)
            self._text_style = (font, size, leading, colour)
        operators: list[str] = []
        for x, y, line in placed:
            literal = _pdf_literal(line)
            if literal is not None:
                operators.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm {literal} Tj")
                continue
            if operators:
                canvas.addLiteral(f"BT {' '.join(operators)} ET")
                operators = []
            canvas.drawString(x, y, line)
        if operators:
            canvas.addLiteral(f"BT {' '.join(operators)} ET")

    def _drawCell(self, cellval, cellstyle, pos, size):
        if isinstance(cellval, tuple) and len(cellval) == 1:
            cellval = cellval[0]  # how Table holds a cell it measured itself
        colpos, rowpos = pos
        colwidth, rowheight = size
        if isinstance(cellval, _TextLines):
            y = rowpos + rowheight - cellstyle.topPadding
            x = colpos + cellstyle.leftPadding
            for line, font, font_size, leading, colour in cellval.lines:
                y -= leading
                self._write([(x, y + 0.22 * font_size, line)], font, font_size, leading, colour)
            return
        if not isinstance(cellval, str):
            super()._drawCell(cellval, cellstyle, pos, size)
            self._text_style = None  # Table may have set another font or colour
            return
        font, font_size, leading = cellstyle.fontname, cellstyle.fontsize, cellstyle.leading
        right = cellstyle.alignment == "RIGHT"
        placed = []
        # Same placement as Table: top-aligned, first baseline one font size below the padding.
        y = rowpos + rowheight - cellstyle.topPadding - font_size
        for line in cellval.split("\n"):
            if line:
                if right:
                    x = colpos + colwidth - cellstyle.rightPadding - _width(line, font, font_size)
                else:
                    x = colpos + cellstyle.leftPadding
                placed.append((x, y, line))
            y -= leading
        if placed:
            self._write(placed, font, font_size, leading, cellstyle.color)


def _product_cells(line: PdfLine) -> list[_TextLines]:
    """The product cell: the name in bold, then the description; one flowable per table row."""
    styled = [
        (text, "Helvetica-Bold", _FONT_SIZE, _LEADING, _INK)
        for text in _wrap(line.name, "Helvetica-Bold", _FONT_SIZE, _PRODUCT_WIDTH)
    ] + [
        (text, "Helvetica", 7.5, 9, _MUTED)
        for text in _wrap(line.description, "Helvetica", 7.5, _PRODUCT_WIDTH)
    ]
    return [_TextLines(group, _PRODUCT_WIDTH) for group in _groups(styled)]


_Row = tuple[list, float]  # (cells, height)


def _line_rows(line: PdfLine, currency: str) -> list[_Row]:
    """The table rows of one quote line: one, unless its text is longer than a row may be.

    Heights are computed here, exactly as ``Table`` would (lines x leading + padding), so pages
    can be filled without asking reportlab to measure.
    """
    skus = _groups(_wrap(line.sku, "Helvetica", _FONT_SIZE, _SKU_WIDTH))
    units = _groups(_wrap(line.unit, "Helvetica", _FONT_SIZE, _UNIT_WIDTH))
    product = _product_cells(line)
    rows: list[_Row] = []
    for i in range(max(len(skus), len(product), len(units), 1)):
        sku = skus[i] if i < len(skus) else []
        unit = units[i] if i < len(units) else []
        cells = [
            "\n".join(sku),
            product[i] if i < len(product) else "",
            "",
            "\n".join(unit),
            "",
            "",
            "",
        ]
        if i == 0:
            cells[2] = _plain_number(line.quantity)
            cells[4] = _unit_price(line.unit_price, currency)
            cells[5] = _plain_number(line.discount_percent)
            cells[6] = _amount(line.net_amount, currency)
        content = max(
            max(len(sku), len(unit), 1) * _LEADING,
            product[i].height if i < len(product) else 0,
        )
        rows.append((cells, content + 2 * _PAD_Y))
    return rows


def _line_table(rows: list[_Row], *, header: bool = True, measured: bool = True) -> Table:
    """A Table of ``rows``, under the column header unless ``header`` is false.

    ``measured=False`` leaves row heights to reportlab: the naive single-Table comparison.
    """
    heights = [height for _, height in rows]
    return _LineTable(
        [list(_COLUMNS), *(cells for cells, _ in rows)] if header else [c for c, _ in rows],
        colWidths=_COL_WIDTHS,
        rowHeights=([_HEADER_HEIGHT, *heights] if header else heights) if measured else None,
        style=_LINE_TABLE_STYLE if header else _CONTINUATION_STYLE,
        cellStyles=[_HEADER_CELL_STYLES] * header + [_BODY_CELL_STYLES] * len(rows),
        repeatRows=1 if header else 0,
        hAlign="LEFT",
    )


class _PagedLineTable(Flowable):
    """The line table as one ``Table`` per page (at most ``chunk_rows`` rows each).

    A single long ``Table`` re-measures and copies every remaining row each time it is split at a
    page end, so its cost grows with rows x pages. Here row heights are known up front, so each
    piece takes exactly the rows that fit, becomes one small ``Table`` with the header row, and
    leaves the rest to a new ``_PagedLineTable``: cost stays linear, every page starts with the
    header, and no header appears mid-page.
    """

    def __init__(self, rows: list[_Row], chunk_rows: int, start: int = 0, header: bool = True):
        super().__init__()
        self._rows = rows  # shared, never copied, between the pieces of one table
        self._chunk_rows = max(1, chunk_rows)
        self._start = start
        self._header = header
        self.hAlign = "LEFT"

    def _fit(self, avail_height: float) -> tuple[int, float]:
        """How many rows from ``start`` fit (capped at ``chunk_rows``), and their height."""
        used = _HEADER_HEIGHT if self._header else 0.0
        end = min(self._start + self._chunk_rows, len(self._rows))
        for index in range(self._start, end):
            height = self._rows[index][1]
            if used + height > avail_height:
                return index - self._start, used + height  # the height that overflows
            used += height
        return end - self._start, used

    def _piece(self, count: int) -> Table:
        return _line_table(self._rows[self._start : self._start + count], header=self._header)

    def wrap(self, avail_width, avail_height):
        count, height = self._fit(avail_height)
        # When rows remain beyond the cap or the space, report more than the space so the frame
        # asks for a split; only the last piece is drawn directly.
        remaining = len(self._rows) - self._start
        self.width = sum(_COL_WIDTHS)
        self.height = height if count == remaining else max(height, avail_height + 1)
        return self.width, self.height

    def split(self, avail_width, avail_height):
        count, _ = self._fit(avail_height)
        if count == 0 and len(self._rows) > self._start:
            return []
        rest = self._start + count
        pieces: list[Flowable] = [self._piece(count)]
        if rest < len(self._rows):
            used = sum(height for _, height in self._rows[self._start : rest])
            used += _HEADER_HEIGHT if self._header else 0.0
            # Stopped by the cap with room left: continue on this page, without a header. The
            # point of slack absorbs rounding, so that a piece without header can never be
            # pushed to the top of the next page.
            same_page = used + self._rows[rest][1] <= avail_height - 1
            pieces.append(_PagedLineTable(self._rows, self._chunk_rows, rest, not same_page))
        return pieces

    def drawOn(self, canvas, x, y, _sW=0):
        table = self._piece(len(self._rows) - self._start)
        table.wrapOn(canvas, self.width, self.height)
        table.drawOn(canvas, x, y, _sW)


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


def _labelled(label: str, value: str, st, max_chars: int = _NARROW_CELL_MAX_CHARS) -> list:
    """``Label: value`` as paragraphs, the value cut into row-sized pieces."""
    pieces = _chunks(value, max_chars) or [""]
    first = _p_markup(f'<font color="#52606d">{_esc(label)}</font> {_esc(pieces[0])}', st["base"])
    return [first, *(_p(piece, st["base"]) for piece in pieces[1:])]


def _header_block(doc: QuoteDocument, st) -> list:
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
    months = "month" if doc.term_months == 1 else "months"
    right += _labelled("Term:", f"{doc.term_months} {months}", st)
    right += _labelled("Billing frequency:", doc.billing_frequency_label, st)
    right += _labelled("Prepared by:", doc.prepared_by, st)
    return [_two_column_block(left, right, (FRAME_WIDTH * 0.55, FRAME_WIDTH * 0.45))]


def _totals_block(doc: QuoteDocument) -> list:
    currency = doc.currency
    # Shown as a deduction; no "-0.00" when there is none.
    discount = -doc.discount_total if doc.discount_total else doc.discount_total
    rows = [
        ["Subtotal", format_money(doc.subtotal, currency)],
        ["Discount", format_money(discount, currency)],
        ["Total", format_money(doc.total, currency)],
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
    return [KeepTogether([heading, stamp])]


def _story(doc: QuoteDocument, line_table: Flowable, st) -> list:
    story: list = []
    story += _header_block(doc, st)
    story.append(Spacer(1, 6))
    story.append(HRFlowable(width="100%", thickness=1, color=_INK, spaceAfter=0))
    story.append(Spacer(1, 6))
    story += _parties_block(doc, st)
    story.append(Spacer(1, 10))
    story.append(_p(f"All amounts in {doc.currency}.", st["muted"]))
    story.append(Spacer(1, 3))
    story.append(line_table)
    story += _totals_block(doc)
    story += _text_section("Terms", doc.terms, st)
    story += _text_section("Notes", doc.notes, st)
    story += _acceptance_block(doc, st)
    return story


def _all_line_rows(doc: QuoteDocument) -> list[_Row]:
    rows: list[_Row] = []
    for line in doc.lines:
        rows += _line_rows(line, doc.currency)
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
    line_table = _PagedLineTable(_all_line_rows(doc), chunk_rows)
    return _build(doc, line_table, st)


def render_quote_pdf_single_table(doc: QuoteDocument) -> bytes:
    """The same document with the lines as one big ``Table``: only for bench/pdf_bench.py."""
    st = _styles()
    return _build(doc, _line_table(_all_line_rows(doc), measured=False), st)
