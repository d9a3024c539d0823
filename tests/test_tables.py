"""The declared list tables (``corp_billing.tables``): what a person sees in a list's cells."""

import datetime
from decimal import Decimal

from django.utils import timezone

from corp_billing.tables import Column, Table, badge, money


def test_user_text_in_a_cell_and_in_a_link_stays_text():
    table = Table(
        columns=(Column("Title", lambda r: r["title"], link=lambda r: r["url"]),),
        rows=[{"title": "<script>alert(1)</script>", "url": '/q/"onmouseover="x'}],
    )
    html = table.rows_html()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="/q/&quot;onmouseover=&quot;x"' in html


def test_cells_show_dates_money_and_numbers_as_a_clerk_reads_them():
    when = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    table = Table(
        columns=(
            Column("Waiting since", lambda r: r[0]),
            Column("Valid until", lambda r: r[1]),
            Column("Total", lambda r: money(r[2], "JPY"), numeric=True),
            Column("Status", lambda r: badge(r[3])),
            Column("Note", lambda r: None),
        ),
        rows=[(when, datetime.date(2026, 4, 30), Decimal("1234567.5"), "Sent")],
    )
    with timezone.override("Asia/Tokyo"):  # shown in the current time zone, as templates do
        html = table.rows_html()
    assert "<td>2026-03-02 08:30</td>" in html
    assert "<td>2026-04-30</td>" in html
    assert '<td class="num">1,234,568 JPY</td>' in html
    assert '<td><span class="badge">Sent</span></td>' in html
    assert "<td></td>" in html
    assert table.header_html().count("<th") == 5
    assert '<th class="num">Total</th>' in table.header_html()


def test_an_empty_list_says_so_across_the_whole_row():
    table = Table(columns=(Column("A", str), Column("B", str)), rows=[], empty="No <quotes>.")
    assert table.rows_html() == '<tr><td colspan="2" class="muted">No &lt;quotes&gt;.</td></tr>'
