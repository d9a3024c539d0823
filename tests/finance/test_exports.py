"""Finance's workbooks, reopened with openpyxl as a clerk's Excel would read them: typed cells
(amounts as numbers equal to the database's ``Decimal``s, in the currency's format; dates as
dates), a title row naming the filter, a bold frozen header with an autofilter, and every filter
doing what it says."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from billing_center.models import Invoice, InvoiceLine
from finance import exports
from finance.models import Export
from purchase_orders.models import PurchaseOrder
from quotes.models import QuoteLine, QuoteRevision
from tests import factories

from .builders import (
    export_through_the_pages,
    registers,
    rows_of,
    self_service_invoice,
    workbook_of,
)

SHEETS = ["Quotes", "Quote lines", "Purchase orders", "PO changes", "Invoices", "Invoice lines"]


@pytest.fixture
def data(world):
    built = registers(world)
    shop = factories.AccountFactory(number="OV-2000009", name="Shop & Co", currency="USD")
    contact = factories.billing_contact(shop, primary=True, username="shop.owner")
    built["subscription"] = self_service_invoice(shop, contact)
    built["shop"] = shop
    return built


def download(client, user, **params):
    return export_through_the_pages(client, user, **params)


def amount(cell) -> Decimal:
    """A number cell as the exact decimal it reads back as (the double's shortest form)."""
    assert cell.data_type == "n", (cell.coordinate, cell.value)
    return Decimal(repr(cell.value)) if isinstance(cell.value, float) else Decimal(cell.value)


def test_the_workbook_of_everything_has_a_sheet_per_register_laid_out_for_a_clerk(
    world, data, client
):
    # when finance downloads the workbook of every register
    response = download(client, world.finance)

    # then it is an xlsx attachment with one sheet per register
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith('attachment; filename="finance-all-')
    book = workbook_of(response)
    assert book.sheetnames == SHEETS
    for register, sheet in zip(exports.REGISTERS.values(), book.worksheets, strict=True):
        # a title row saying which register, which filter, when and by whom
        title = sheet["A1"].value
        assert title.startswith(f"{register.title} — all rows · made ")
        assert title.endswith(" UTC by finance.f")
        assert sheet["A1"].font.b
        # a bold header, frozen above the rows, with an autofilter over header and rows
        header = list(sheet[2])
        assert [c.value for c in header] == [col.header for col in register.columns]
        assert all(c.font.b for c in header)
        assert sheet.freeze_panes == "A3"
        last = header[-1].column_letter
        assert sheet.auto_filter.ref == f"A2:{last}{sheet.max_row}"
        # columns as wide as declared
        assert sheet.column_dimensions["A"].width == register.columns[0].width
        assert sheet.max_row > 2, register.key


def test_quote_amounts_are_numbers_equal_to_the_database_in_the_currency_format(
    world, data, client
):
    book = workbook_of(download(client, world.finance, register="quotes"))
    rows = rows_of(book["Quotes"])
    revisions = {
        (r.quote.number, r.number): r for r in QuoteRevision.objects.select_related("quote")
    }
    assert len(rows) == len(revisions) == 3
    for row in rows:
        revision = revisions[row["Quote"].value, row["Revision"].value]
        fmt = '#,##0.00 "EUR"' if revision.currency == "EUR" else '#,##0.00 "USD"'
        for header, field in (
            ("Subtotal", "subtotal"),
            ("Discount", "discount_total"),
            ("Total", "total"),
        ):
            assert amount(row[header]) == getattr(revision, field), header
            assert row[header].number_format == fmt
        assert row["Revision"].data_type == "n"
        assert row["Valid until"].is_date
        assert row["Valid until"].value.date() == revision.valid_until
        assert row["Valid until"].number_format == "yyyy-mm-dd"
        assert row["Created (UTC)"].is_date
        created = revision.created_at.astimezone(datetime.UTC).replace(tzinfo=None)
        assert row["Created (UTC)"].value == created.replace(microsecond=0)
        assert row["Created (UTC)"].number_format == "yyyy-mm-dd h:mm:ss"
        assert row["Account number"].data_type == "s"
    accepted = next(r for r in rows if r["Status"].value == "Accepted")
    assert accepted["PO number"].value == "PO-A-1"
    assert accepted["Representative"].value == world.rep_a.display_name
    assert accepted["Sent (UTC)"].is_date and accepted["Decided (UTC)"].is_date


def test_line_register_reconciles_to_the_lines_of_the_database(world, data, client):
    book = workbook_of(download(client, world.finance, register="quote_lines"))
    rows = rows_of(book["Quote lines"])
    lines = {
        (ln.revision.quote.number, ln.position): ln
        for ln in QuoteLine.objects.select_related("revision__quote")
    }
    assert len(rows) == len(lines)
    for row in rows:
        line = lines[row["Quote"].value, row["Line"].value]
        assert amount(row["Quantity"]) == line.quantity
        for header, field in (
            ("Unit price", "unit_price"),
            ("Gross", "gross_amount"),
            ("Discount", "discount_amount"),
            ("Net", "net_amount"),
        ):
            assert amount(row[header]) == getattr(line, field), header
        assert amount(row["Discount %"]) == line.discount_percent
    # the 3.5 seats at 19.99 line: 69.965 rounds half up to 69.97
    odd = next(r for r in rows if r["Quantity"].value == 3.5)
    assert amount(odd["Net"]) == Decimal("69.97")


def test_purchase_orders_and_their_change_history(world, data, client):
    book = workbook_of(download(client, world.finance))
    po = PurchaseOrder.objects.get(number="PO-A-1")
    [row] = rows_of(book["Purchase orders"])
    assert row["PO number"].value == "PO-A-1"
    assert amount(row["Amount"]) == po.amount == Decimal("60000")
    total = data["accepted"].current_revision.total
    assert amount(row["Drawn"]) == total
    assert amount(row["Remaining"]) == po.amount - total
    assert row["Status"].value == "Active"
    assert row["Valid to"].value.date() == po.valid_to
    [change] = rows_of(book["PO changes"])
    assert amount(change["Amount before"]) == Decimal("50000")
    assert amount(change["Amount after"]) == Decimal("60000")
    assert change["Amount after"].number_format == '#,##0.00 "USD"'
    assert change["Status"].value == "Approved and applied"
    assert change["Proposed by"].value == world.contact_a.display_name
    assert change["Decided by"].value == world.rep_a.display_name
    assert change["Reason"].value == "Budget raised"
    assert change["Valid to after"].value.date() == po.valid_to


def test_billing_history_invoices_and_lines(world, data, client):
    book = workbook_of(download(client, world.finance))
    invoice = Invoice.objects.get()
    [row] = rows_of(book["Invoices"])
    assert row["Invoice"].value == invoice.number
    assert amount(row["Total"]) == invoice.total
    assert amount(row["Tax"]) == invoice.tax
    assert row["Issued"].value.date() == invoice.issued_on
    assert row["Billing User ID"].value == "shop.owner"
    lines = rows_of(book["Invoice lines"])
    assert [(r["Invoice"].value, amount(r["Amount"])) for r in lines] == [
        (invoice.number, line.amount) for line in InvoiceLine.objects.all()
    ]


@pytest.mark.parametrize(
    ("currency", "price", "fmt"),
    [("JPY", "26000", '#,##0 "JPY"'), ("BHD", "95.125", '#,##0.000 "BHD"')],
)
def test_a_currency_formats_with_its_own_minor_unit(world, client, currency, price, fmt):
    from tests import quote_builders as qb

    account = factories.AccountFactory(number="OV-1000077", currency=currency)
    rep = factories.representative(account, username="rep.minor")
    item = qb.product(**{f"{currency}_annually": price})
    qb.sent_quote(account, rep, lines=[qb.line(item, quantity="3", unit_price=price)])
    [row] = rows_of(workbook_of(download(client, world.finance, register="quotes"))["Quotes"])
    assert row["Total"].number_format == fmt
    assert amount(row["Total"]) == Decimal(price) * 3


def test_filters_narrow_every_register_and_the_title_says_so(world, data, client):
    today = timezone.localdate()
    response = download(
        client,
        world.finance,
        date_from=(today - datetime.timedelta(days=1)).isoformat(),
        date_to=today.isoformat(),
        account="OV-1000001",
        status="accepted",
        currency="USD",
    )
    book = workbook_of(response)
    quotes = rows_of(book["Quotes"])
    assert [r["Status"].value for r in quotes] == ["Accepted"]
    assert {r["Account number"].value for r in rows_of(book["Quote lines"])} == {"OV-1000001"}
    title = book["Quotes"]["A1"].value
    assert (
        f"revision created {today - datetime.timedelta(days=1)} to {today}; "
        "account OV-1000001 Alpha Corp; status Accepted; currency USD" in title
    )
    # "accepted" is no status of a PO or an invoice: those sheets are empty, not unfiltered
    assert rows_of(book["Purchase orders"]) == []
    assert rows_of(book["Invoices"]) == []


def test_a_date_range_before_any_row_gives_empty_sheets(world, data, client):
    book = workbook_of(download(client, world.finance, date_to="2001-01-31"))
    assert all(sheet.max_row == 2 for sheet in book.worksheets)
    assert book["Quotes"].auto_filter.ref == "A2:Q2"


def test_the_currency_filter(world, data, client):
    book = workbook_of(download(client, world.finance, register="quotes", currency="EUR"))
    assert [r["Account number"].value for r in rows_of(book["Quotes"])] == ["OV-1000002"]


@pytest.mark.parametrize(
    "params",
    [
        {"account": "OV-9999999"},
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
        {"register": "everything"},
        {"date_from": "not a date"},
    ],
)
def test_a_bad_filter_shows_the_form_again_with_the_error(world, data, client, params):
    response = download(client, world.finance, **params)
    assert response.status_code == 400
    assert b"export-form" in response.content
    assert b'class="alert error"' in response.content
    # and nothing was started
    assert not Export.objects.exists()


@pytest.mark.parametrize("role", ["contact_a", "member_a", "rep_a", "deal_desk"])
def test_nobody_but_finance_downloads_a_register(world, data, client, role):
    # not even with a valid filter naming their own account: the same 404 as a missing page
    response = download(client, world.user(role), account="OV-1000001")
    assert response.status_code == 404
    assert client.get(reverse("finance:exports")).status_code == 404
    assert not Export.objects.exists()


def test_the_command_writes_the_same_workbook_with_progress(world, data, tmp_path):
    from io import StringIO

    from openpyxl import load_workbook

    out = StringIO()
    path = tmp_path / "finance.xlsx"
    call_command("export_finance", user="finance.f", output=str(path), stdout=out)
    book = load_workbook(path)
    assert book.sheetnames == SHEETS
    assert len(rows_of(book["Quotes"])) == 3
    text = out.getvalue()
    assert "quotes: 3 rows" in text
    assert "Done: " in text


def test_the_command_refuses_a_login_that_may_not_export(world, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a finance login"):
        call_command("export_finance", user="rep.a", output=str(tmp_path / "x.xlsx"))
    assert not (tmp_path / "x.xlsx").exists()
