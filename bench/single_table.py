"""The benchmark's baseline: the quote with its lines as one big reportlab ``Table``.

Not product code. ``bench/pdf_bench.py`` times it against ``quotes.pdf.render_quote_pdf`` to show
what the page-sized pieces save; ``tests/quotes/test_pdf.py`` checks that both give the same pages
and lines, so that the comparison is like with like. It reuses the renderer's rows (already
wrapped and cleaned), its layout constants and the rest of its document (hence the use of the
module's private names), and leaves row heights, page breaks and cell drawing to ``Table``, as a
naive implementation would.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Importable from a plain script run (bench/pdf_bench.py) as well as from the test suite.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportlab.platypus import Flowable, Table, TableStyle  # noqa: E402
from reportlab.platypus.tables import CellStyle  # noqa: E402

from quotes import pdf  # noqa: E402


class TextLines(Flowable):
    """The product cell: pre-wrapped lines, each in its own font and colour, as plain text."""

    def __init__(self, lines: tuple[pdf.StyledLine, ...]) -> None:
        super().__init__()
        self.lines = lines
        self.width = pdf._PRODUCT_WIDTH
        self.height = sum(leading for _, _, _, leading, _ in lines)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        text = self.canv.beginText()
        y = self.height
        for line, font, size, leading, colour in self.lines:
            y -= leading
            text.setFont(font, size, leading)
            text.setFillColor(colour)
            text.setTextOrigin(0, y + 0.22 * size)
            text.textLine(line)
        self.canv.drawText(text)


def _cell_styles(prefix: str, font: str) -> list[CellStyle]:
    styles = []
    for column in range(len(pdf._COLUMNS)):
        style = CellStyle(f"{prefix}-{column}")
        style.fontname, style.fontsize, style.leading = font, pdf._FONT_SIZE, pdf._LEADING
        style.color = pdf._INK
        style.valign = "TOP"
        style.alignment = "RIGHT" if column in pdf._RIGHT_ALIGNED else "LEFT"
        style.leftPadding = style.rightPadding = pdf._PAD_X
        style.topPadding = style.bottomPadding = pdf._PAD_Y
        styles.append(style)
    return styles


# Ready-made cell styles, one shared list per kind of row, as the renderer used to give its
# Tables: cheaper than TableStyle cell commands, so the baseline is not slowed on purpose.
_HEADER_CELL_STYLES = _cell_styles("line-header", pdf._BOLD)
_BODY_CELL_STYLES = _cell_styles("line-body", pdf._FONT)
_TABLE_STYLE = TableStyle(
    [
        ("BACKGROUND", (0, 0), (-1, 0), pdf._HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, -1), pdf._RULE_WIDTH, pdf._RULE),
    ]
)


def _cells(row: pdf.LineRow) -> list[object]:
    quantity, unit_price, discount, amount = row.numbers
    product = TextLines(row.product) if row.product else ""
    sku, unit = "\n".join(row.sku), "\n".join(row.unit)
    return [sku, product, quantity, unit, unit_price, discount, amount]


def single_table(doc: pdf.QuoteDocument) -> Table:
    """The document's line table as one ``Table`` that repeats its header row on every page."""
    rows = pdf.line_table_rows(doc)
    return Table(
        [list(pdf._COLUMNS), *(_cells(row) for row in rows)],
        colWidths=pdf._COL_WIDTHS,
        style=_TABLE_STYLE,
        cellStyles=[_HEADER_CELL_STYLES] + [_BODY_CELL_STYLES] * len(rows),
        repeatRows=1,
        hAlign="LEFT",
    )


def render_quote_pdf_single_table(doc: pdf.QuoteDocument) -> bytes:
    """The same document as ``render_quote_pdf``, with the lines as one big ``Table``."""
    return pdf._build(doc, single_table(doc), pdf._styles())
