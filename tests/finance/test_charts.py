"""The SVG charts: bars in proportion to their values, every bar a link with its label and
value as a tooltip, user text escaped, and nothing the Content-Security-Policy would block."""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from finance.charts import Bar, Column, bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def rects(root) -> list[ET.Element]:
    return list(root.iter(f"{SVG}rect"))


def test_bars_are_in_proportion_and_link_to_their_lists():
    svg = bar_chart(
        [
            Bar("Sent", Decimal("300.00"), "300.00 USD", "/q/?status=sent", series=0),
            Bar("Accepted", Decimal("150.00"), "150.00 USD", "/q/?status=accepted", series=1),
            Bar("Rejected", 0, "0.00 USD", "/q/?status=rejected", series=2),
        ],
        label="Pipeline",
    )
    root = parse(svg)
    widths = [float(r.get("width")) for r in rects(root)]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert links == ["/q/?status=sent", "/q/?status=accepted", "/q/?status=rejected"]
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert titles == ["Pipeline", "Sent: 300.00 USD", "Accepted: 150.00 USD", "Rejected: 0.00 USD"]
    assert [r.get("class") for r in rects(root)] == [
        "bar series-0",
        "bar series-1",
        "bar series-2",
    ]


def test_user_text_is_escaped():
    svg = bar_chart(
        [Bar('<script>alert("x")</script> & Co', 1, "1 <b>", '/q/?a=1&b="2"')], label="A & <B>"
    )
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)
    assert root.get("aria-label") == "A & <B>"
    assert next(root.iter(f"{SVG}a")).get("href") == '/q/?a=1&b="2"'


def test_stacked_columns_share_one_scale():
    svg = column_chart(
        [
            Column("Jan", (Bar("Open", 100, "100"), Bar("Won", 100, "100", series=1))),
            Column("Feb", (Bar("Open", 50, "50"),)),
            Column("Mar", (Bar("Open", 0, "0"),)),
        ],
        label="By month",
        axis=("0", "200"),
    )
    heights = [float(r.get("height")) for r in rects(parse(svg))]
    # Jan's two parts fill the plot; Feb's one part is a quarter of it; Mar draws nothing
    assert heights[0] == heights[1] == 2 * heights[2]
    assert len(heights) == 3
    assert ">200</text>" in svg and ">Mar</text>" in svg


def test_an_empty_chart_says_so_and_nothing_divides_by_zero():
    assert "Nothing to show yet." in bar_chart([], label="Empty")
    assert rects(parse(column_chart([Column("Jan", (Bar("x", 0, "0"),))], label="Zero"))) == []


def test_no_inline_style_or_script():
    svg = bar_chart([Bar("a", 1, "1", "/x/")], label="x") + column_chart(
        [Column("a", (Bar("a", 1, "1", "/x/"),))], label="y"
    )
    assert not re.search(r"style=|<script|on\w+=", svg)
