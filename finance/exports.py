"""Finance's spreadsheets: the registers as openpyxl workbooks, written in write-only mode.

A register is a title, a sheet name and its declared columns; its rows come from
``selectors.register_rows`` in batches and go straight to the sheet, so memory stays flat
whatever the number of rows (openpyxl's write-only worksheets stream each row to a temporary
file as it is appended; ``lxml`` installed makes that about 1.5× faster).

Every cell is typed as a finance clerk expects:

* amounts are numbers from ``Decimal``, rounded to the currency's minor unit by the one rule
  (``quotes.money.round_money``), with a number format of that many decimals and the currency
  code; openpyxl writes a number as its nearest double (``%.16g``), which reads back as exactly
  the amount for every amount a money field can hold (12 integer digits, up to 3 decimals:
  within the 15 significant digits a double keeps; a test proves the round trip);
* dates are dates, timestamps are UTC date-times (Excel has no time zones: the header says UTC);
* every piece of text goes through ``safe_text``: it stays text, never a formula or an error
  value, whatever it starts with, and the characters XML cannot hold are removed.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.styles.numbers import FORMAT_DATE_DATETIME, FORMAT_DATE_YYYYMMDD2
from openpyxl.utils import get_column_letter

from quotes.money import minor_unit, round_money

# How often a register's writer reports its progress (rows): the command's progress line, the
# export job's heartbeat and its page's figures.
PROGRESS_EVERY = 5000
# Excel's limit on the characters of one cell; a longer text is cut, not refused.
MAX_CELL_TEXT = 32_767
# What spreadsheet programs read as the start of a formula when a cell is edited or its text is
# pasted: such a cell is also marked "quote prefix" (Excel's leading apostrophe), so it stays
# text even after someone edits it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Lone surrogates cannot be encoded as XML either (a browser form can post them).
_SURROGATES = re.compile("[\ud800-\udfff]")

# openpyxl's own formats for dates and date-times (``openpyxl.cell.cell.TIME_FORMATS``): a date
# value handed over as it is gets them without a cell object of ours.
DATE_FORMAT = FORMAT_DATE_YYYYMMDD2  # 2026-03-31
DATETIME_FORMAT = FORMAT_DATE_DATETIME  # 2026-03-31 14:05:00
QUANTITY_FORMAT = "#,##0.##"
PERCENT_FORMAT = "0.00"
BOLD = Font(bold=True)
# A write-only worksheet (openpyxl's class lives in a private module: named loosely here).
Sheet = Any
TITLE = Font(bold=True, size=13)


def clean_text(value: object) -> str:
    """``value`` as text that an XLSX file can hold: characters XML 1.0 forbids removed,
    at most Excel's cell length."""
    text = str(value)
    # Printable text holds no control character and no surrogate: most cells skip both scans.
    if not text.isprintable():
        text = _SURROGATES.sub("", ILLEGAL_CHARACTERS_RE.sub("", text))
    return text[:MAX_CELL_TEXT]


def safe_text(sheet: Sheet, value: object, *, font: Font | None = None, cell: Any = None) -> Any:
    """The one way text enters a workbook, always as text: ``=HYPERLINK(…)``, ``+1``, ``-1``,
    ``@SUM(…)``, ``#N/A`` and tab- or CR-prefixed text stay text.

    Text that could be read as anything else becomes a cell forced to the string type and
    marked "quote prefix" (Excel's leading apostrophe: it stays text when edited); any other
    text is handed to openpyxl as the plain string, which it types as a string (it reads only
    ``=…`` as a formula and the error codes as errors, both of which take the first path).
    ``cell``: a forced-text cell of this column to reuse (see ``_RowWriter``)."""
    text = clean_text(value)
    if font is None and not text.startswith(FORMULA_STARTS) and text not in ERROR_CODES:
        return text
    if cell is None:
        cell = WriteOnlyCell(sheet)
        cell.quotePrefix = True
        if font is not None:
            cell.font = font
    cell.value = text
    # Assigning a value lets openpyxl guess its type (``=…`` a formula, ``#N/A`` an error);
    # the type is set afterwards so the guess never reaches the file.
    cell.data_type = "s"
    return cell


@functools.cache
def money_format(currency: str) -> str:
    places = minor_unit(currency)
    decimals = "." + "0" * places if places else ""
    # Currency codes come from the fixed table of ``contacts.currencies`` (three letters).
    return f'#,##0{decimals} "{currency}"'


@functools.cache
def _quantum(currency: str) -> Decimal:
    return round_money(Decimal(1), currency)


def money_cell(sheet: Sheet, amount: Decimal, currency: str, *, cell: Any = None) -> Any:
    """An amount rounded by the one rule (``quotes.money.round_money``: half up to the
    currency's minor unit; its quantum looked up once per currency, not per cell), in the
    currency's number format."""
    if cell is None:
        cell = WriteOnlyCell(sheet)
        cell.number_format = money_format(currency)
    cell.value = amount.quantize(_quantum(currency), rounding=ROUND_HALF_UP)
    return cell


def utc_naive(value: datetime.datetime) -> datetime.datetime:
    # Excel has no time zones: timestamps are written in UTC (the headers say so), to the
    # second (a fraction of a second is noise in a day's fraction).
    zone = value.tzinfo
    if zone is None:
        return value.replace(microsecond=0) if value.microsecond else value
    if zone is not datetime.UTC:  # the database hands timestamps over in UTC already
        value = value.astimezone(datetime.UTC)
    return value.replace(tzinfo=None, microsecond=0)


def number_cell(sheet: Sheet, value: Decimal | int, fmt: str, *, cell: Any = None) -> Any:
    if cell is None:
        cell = WriteOnlyCell(sheet)
        cell.number_format = fmt
    cell.value = value
    return cell


# --- registers ---------------------------------------------------------------------------------

TEXT, MONEY, DATE, DATETIME, INTEGER, QUANTITY, PERCENT = (
    "text",
    "money",
    "date",
    "datetime",
    "integer",
    "quantity",
    "percent",
)


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    """The row's key (rows are dicts from ``selectors.register_rows``)."""
    kind: str = TEXT
    width: int = 14


def _columns(*specs: tuple[str, str, str, int]) -> tuple[Column, ...]:
    return tuple(Column(header, key, kind, width) for header, key, kind, width in specs)


@dataclass(frozen=True)
class Register:
    key: str
    title: str
    sheet: str
    columns: tuple[Column, ...]
    date_label: str
    """What the date-range filter applies to, as the title row says it."""


REGISTERS: dict[str, Register] = {
    r.key: r
    for r in (
        Register(
            "quotes",
            "Quotes register (one row per revision)",
            "Quotes",
            _columns(
                ("Quote", "quote_number", TEXT, 16),
                ("Revision", "revision", INTEGER, 9),
                ("Account number", "account_number", TEXT, 14),
                ("Account name", "account_name", TEXT, 28),
                ("Title", "title", TEXT, 30),
                ("Representative", "representative", TEXT, 22),
                ("Status", "status", TEXT, 16),
                ("Created (UTC)", "created_at", DATETIME, 17),
                ("Sent (UTC)", "sent_at", DATETIME, 17),
                ("Decided (UTC)", "decided_at", DATETIME, 17),
                ("Valid until", "valid_until", DATE, 12),
                ("Subtotal", "subtotal", MONEY, 16),
                ("Discount", "discount_total", MONEY, 14),
                ("Total", "total", MONEY, 16),
                ("Currency", "currency", TEXT, 9),
                ("PO number", "po_number", TEXT, 18),
                ("Approved by", "approver", TEXT, 22),
            ),
            "revision created",
        ),
        Register(
            "quote_lines",
            "Quote lines",
            "Quote lines",
            _columns(
                ("Quote", "quote_number", TEXT, 16),
                ("Revision", "revision", INTEGER, 9),
                ("Account number", "account_number", TEXT, 14),
                ("Status", "status", TEXT, 16),
                ("Line", "position", INTEGER, 6),
                ("SKU", "sku", TEXT, 16),
                ("Product", "name", TEXT, 28),
                ("Description", "description", TEXT, 30),
                ("Unit", "unit", TEXT, 14),
                ("Quantity", "quantity", QUANTITY, 10),
                ("List price", "list_price", MONEY, 14),
                ("Unit price", "unit_price", MONEY, 14),
                ("Discount %", "discount_percent", PERCENT, 10),
                ("Gross", "gross_amount", MONEY, 15),
                ("Discount", "discount_amount", MONEY, 14),
                ("Net", "net_amount", MONEY, 15),
                ("Currency", "currency", TEXT, 9),
            ),
            "revision created",
        ),
        Register(
            "purchase_orders",
            "Purchase orders",
            "Purchase orders",
            _columns(
                ("PO number", "number", TEXT, 20),
                ("Account number", "account_number", TEXT, 14),
                ("Account name", "account_name", TEXT, 28),
                ("Status", "status", TEXT, 10),
                ("Valid from", "valid_from", DATE, 12),
                ("Valid to", "valid_to", DATE, 12),
                ("Amount", "amount", MONEY, 16),
                ("Drawn", "drawn", MONEY, 16),
                ("Remaining", "remaining", MONEY, 16),
                ("Currency", "currency", TEXT, 9),
                ("Version", "version", INTEGER, 8),
                ("Entered by", "created_by", TEXT, 22),
                ("Entered (UTC)", "created_at", DATETIME, 17),
            ),
            "entered",
        ),
        Register(
            "po_changes",
            "Purchase-order change history",
            "PO changes",
            _columns(
                ("PO number", "po_number", TEXT, 20),
                ("Account number", "account_number", TEXT, 14),
                ("Status", "status", TEXT, 22),
                ("Number before", "number_before", TEXT, 20),
                ("Number after", "number_after", TEXT, 20),
                ("Amount before", "amount_before", MONEY, 16),
                ("Amount after", "amount_after", MONEY, 16),
                ("Valid from before", "valid_from_before", DATE, 12),
                ("Valid from after", "valid_from_after", DATE, 12),
                ("Valid to before", "valid_to_before", DATE, 12),
                ("Valid to after", "valid_to_after", DATE, 12),
                ("Currency", "currency", TEXT, 9),
                ("Reason", "reason", TEXT, 30),
                ("Proposed by", "proposed_by", TEXT, 22),
                ("Proposed (UTC)", "proposed_at", DATETIME, 17),
                ("Decided by", "decided_by", TEXT, 22),
                ("Decided (UTC)", "decided_at", DATETIME, 17),
                ("Comment", "comment", TEXT, 30),
            ),
            "proposed",
        ),
        Register(
            "invoices",
            "Billing history: invoices",
            "Invoices",
            _columns(
                ("Invoice", "number", TEXT, 16),
                ("Account number", "account_number", TEXT, 14),
                ("Account name", "account_name", TEXT, 28),
                ("Kind", "kind", TEXT, 16),
                ("Issued", "issued_on", DATE, 12),
                ("Period start", "period_start", DATE, 12),
                ("Period end", "period_end", DATE, 12),
                ("Subtotal", "subtotal", MONEY, 14),
                ("Tax", "tax", MONEY, 12),
                ("Total", "total", MONEY, 14),
                ("Currency", "currency", TEXT, 9),
                ("Status", "status", TEXT, 8),
                ("Paid (UTC)", "paid_at", DATETIME, 17),
                ("Paid with", "paid_with", TEXT, 20),
                ("Billing User ID", "billed_to_login", TEXT, 22),
                ("Billed to", "billed_to_name", TEXT, 22),
            ),
            "issued",
        ),
        Register(
            "invoice_lines",
            "Billing history: invoice lines",
            "Invoice lines",
            _columns(
                ("Invoice", "invoice_number", TEXT, 16),
                ("Account number", "account_number", TEXT, 14),
                ("Issued", "issued_on", DATE, 12),
                ("Status", "status", TEXT, 8),
                ("Line", "position", INTEGER, 6),
                ("Description", "description", TEXT, 40),
                ("Quantity", "quantity", INTEGER, 10),
                ("Unit price", "unit_price", MONEY, 14),
                ("Amount", "amount", MONEY, 14),
                ("Currency", "currency", TEXT, 9),
            ),
            "issued",
        ),
    )
}
ALL = "all"
"""The workbook with a sheet per register."""


def registers_for(choice: str) -> list[Register]:
    return list(REGISTERS.values()) if choice == ALL else [REGISTERS[choice]]


def file_name(choice: str, generated_at: datetime.datetime) -> str:
    stamp = generated_at.astimezone(datetime.UTC).strftime("%Y%m%d-%H%M")
    return f"finance-{choice.replace('_', '-')}-{stamp}.xlsx"


# --- writing -------------------------------------------------------------------------------------


class _RowWriter:
    """Turns a register's row into its cells, by a plan made once per sheet: each column's
    key and the function that makes its cell. A styled cell (a number format, a forced text
    type) is made once per column (and currency) and reused for every row: a write-only sheet
    writes each row out as it is appended, before the next one reuses the cell, and making and
    styling a cell object per value is most of openpyxl's cost per cell."""

    def __init__(self, sheet: Sheet, columns: tuple[Column, ...]):
        self.sheet = sheet
        self.reused: dict[tuple[int, str], Any] = {}
        self.plan = [
            (column.key, self._maker(index, column.kind)) for index, column in enumerate(columns)
        ]
        self.currency = [column.key for column in columns].index("currency")

    def _maker(self, index: int, kind: str) -> Callable[[Any, str], Any]:
        sheet, reused = self.sheet, self.reused

        def keep(slot: tuple[int, str], made: Any) -> Any:
            if not isinstance(made, str):
                reused[slot] = made
            return made

        slot = (index, "")
        if kind == INTEGER:
            return lambda value, currency: value  # an int is only ever a number
        if kind == TEXT:
            return lambda value, currency: (
                safe_text(sheet, value, cell=reused[slot])
                if slot in reused
                else keep(slot, safe_text(sheet, value))
            )
        if kind == MONEY:

            def money(value: Any, currency: str) -> Any:
                by_currency = (index, currency)
                cell = reused.get(by_currency)
                if cell is None:
                    return keep(by_currency, money_cell(sheet, value, currency))
                return money_cell(sheet, value, currency, cell=cell)

            return money
        if kind == DATE:
            return lambda value, currency: value  # openpyxl formats a date as DATE_FORMAT
        if kind == DATETIME:
            return lambda value, currency: utc_naive(value)  # and this as DATETIME_FORMAT
        fmt = QUANTITY_FORMAT if kind == QUANTITY else PERCENT_FORMAT
        return lambda value, currency: (
            number_cell(sheet, value, fmt, cell=reused[slot])
            if slot in reused
            else keep(slot, number_cell(sheet, value, fmt))
        )

    def cells(self, row: dict | tuple) -> list:
        if isinstance(row, tuple):
            # A row as a tuple holds the columns in order (see ``write_register``).
            currency = row[self.currency]
            return [
                None if (value := row[index]) is None or value == "" else make(value, currency)
                for index, (_key, make) in enumerate(self.plan)
            ]
        currency = row["currency"]
        return [
            None if (value := row[key]) is None or value == "" else make(value, currency)
            for key, make in self.plan
        ]


def write_register(
    workbook: Workbook,
    register: Register,
    rows: Iterable[dict | tuple],
    *,
    subtitle: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Adds ``register``'s sheet to the write-only ``workbook``: a title row (which register,
    which filter, when), a bold header frozen above the rows, an autofilter over them, each
    column as wide as its kind needs. A row is a dict by column key, or a tuple of the values
    in the columns' order. Returns the number of rows written."""
    sheet = workbook.create_sheet(register.sheet)
    columns = register.columns
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A3"
    sheet.append([safe_text(sheet, f"{register.title} — {subtitle}", font=TITLE)])
    sheet.append([safe_text(sheet, column.header, font=BOLD) for column in columns])
    writer = _RowWriter(sheet, columns)
    count = 0
    for row in rows:
        sheet.append(writer.cells(row))
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A2:{last}{count + 2}"
    return count


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def save(workbook: Workbook, out: IO[bytes] | str) -> None:
    workbook.save(out)


def write_workbook(
    out: IO[bytes] | str,
    sheets: Iterable[tuple[Register, Iterator[dict]]],
    *,
    subtitle: Callable[[Register], str],
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Writes a workbook of ``sheets`` (each a register and its rows) to ``out`` (a path or a
    binary file), each sheet's title row ending in ``subtitle(register)``; returns the rows
    written per register."""
    workbook = new_workbook()
    written: dict[str, int] = {}
    for register, rows in sheets:

        def step(count: int, key: str = register.key) -> None:
            if progress is not None:
                progress(key, count)

        written[register.key] = write_register(
            workbook, register, rows, subtitle=subtitle(register), progress=step
        )
        step(written[register.key])
    save(workbook, out)
    return written
