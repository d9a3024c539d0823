"""Charts as SVG drawn on the server: no script, no CDN, nothing for the Content-Security-Policy
to allow (colours come from classes in the site's stylesheet, not from inline styles).

Two shapes cover the dashboards: horizontal bars (one value per label) and stacked columns (a few
series per month). Every bar is a link to the list behind it, every bar has a ``<title>`` (its
label and value, for a pointer and a screen reader), and the page shows the same numbers as a
table next to the chart. All text is escaped; numbers are laid out from ``Decimal`` or ``int``
and only converted to float for the geometry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Number = int | Decimal


@dataclass(frozen=True)
class Bar:
    label: str
    value: Number
    text: str
    """The value as the chart prints it (e.g. ``12,500.00 USD``)."""
    href: str = ""
    series: int = 0
    """Which colour (``series-N`` in the stylesheet)."""


@dataclass(frozen=True)
class Column:
    label: str
    parts: tuple[Bar, ...]
    """The column's stacked parts, bottom first (their ``series`` picks the colour)."""


def _num(value: Number) -> float:
    return float(value)


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _link(href: str, inner: str) -> str:
    if not href:
        return inner
    return f'<a href="{escape(href)}">{inner}</a>'


def _svg(width: int, height: int, label: str, body: list[str]) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
    )
    # Every piece of text above and in ``body`` went through ``escape``.
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308


def bar_chart(
    bars: Sequence[Bar], *, label: str, width: int = 560, label_width: int = 170
) -> SafeString:
    """Horizontal bars, one a row: the label at the left, the bar, its value at its end."""
    row, gap, value_width = 26, 6, 130
    area = width - label_width - value_width
    height = max(1, len(bars)) * (row + gap) + gap
    top = max((_num(b.value) for b in bars), default=0.0)
    body = []
    if not bars:
        body.append(f'<text class="empty" x="{gap}" y="{row}">Nothing to show yet.</text>')
    for i, bar in enumerate(bars):
        y = gap + i * (row + gap)
        length = area * _num(bar.value) / top if top > 0 else 0.0
        title = f"<title>{escape(bar.label)}: {escape(bar.text)}</title>"
        shape = (
            f'<rect class="bar series-{bar.series}" x="{label_width}" y="{y}" '
            f'width="{_fmt(max(length, 1.0 if _num(bar.value) else 0.0))}" height="{row}">'
            f"{title}</rect>"
        )
        body.append(
            f'<text class="label" x="{label_width - 8}" y="{y + row * 0.68:.1f}" '
            f'text-anchor="end">{escape(bar.label)}</text>'
        )
        body.append(_link(bar.href, shape))
        body.append(
            f'<text class="value" x="{_fmt(label_width + length + 6)}" '
            f'y="{y + row * 0.68:.1f}">{escape(bar.text)}</text>'
        )
    return _svg(width, height, label, body)


def column_chart(
    columns: Sequence[Column],
    *,
    label: str,
    axis: tuple[str, str] = ("0", ""),
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """Stacked columns, one per label along the bottom; ``axis`` is the text of the zero line
    and of the top line (the tallest column's total)."""
    left, bottom, top_pad = 8, 26, 22
    plot = height - bottom - top_pad
    slot = (width - left * 2) / max(1, len(columns))
    # A few columns stay columns, not walls.
    bar_width = min(slot * 0.62, 64.0)
    tallest = max((sum(_num(p.value) for p in c.parts) for c in columns), default=0.0)
    body = [
        f'<line class="axis" x1="{left}" y1="{top_pad + plot}" x2="{width - left}" '
        f'y2="{top_pad + plot}"/>',
        f'<line class="grid" x1="{left}" y1="{top_pad}" x2="{width - left}" y2="{top_pad}"/>',
        f'<text class="tick" x="{width - left}" y="{top_pad - 6}" text-anchor="end">'
        f"{escape(axis[1])}</text>",
    ]
    for i, column in enumerate(columns):
        x = left + i * slot + (slot - bar_width) / 2
        base = float(top_pad + plot)
        for part in column.parts:
            size = plot * _num(part.value) / tallest if tallest > 0 else 0.0
            if size <= 0:
                continue
            base -= size
            shape = (
                f'<rect class="bar series-{part.series}" x="{_fmt(x)}" y="{_fmt(base)}" '
                f'width="{_fmt(bar_width)}" height="{_fmt(size)}">'
                f"<title>{escape(column.label)} · {escape(part.label)}: {escape(part.text)}"
                f"</title></rect>"
            )
            body.append(_link(part.href, shape))
        body.append(
            f'<text class="tick" x="{_fmt(x + bar_width / 2)}" y="{height - 8}" '
            f'text-anchor="middle">{escape(column.label)}</text>'
        )
    return _svg(width, height, label, body)
