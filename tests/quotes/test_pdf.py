"""The quote PDF: content, escaping, determinism, pagination, watermark, acceptance, currencies,
and the renderer's use of reportlab's public API only.

Pure rendering: no database. PDFs are read back with pypdf.
"""

import ast
import dataclasses
import datetime
import hashlib
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from freezegun import freeze_time
from pypdf import PdfReader

from bench.single_table import render_quote_pdf_single_table
from quotes.pdf import (
    PdfAcceptance,
    PdfLine,
    QuoteDocument,
    render_quote_pdf,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCEPTED_SHA = hashlib.sha256(b"the accepted revision").hexdigest()

ESCAPING_CORPUS = [
    "a<b",
    "AT&T",
    "<img src=/etc/passwd>",
    '<a href="javascript:alert(1)">x</a>',
    "<font size=90>",
    'Tom & Jerry\'s "quoted" <b>not bold</b> &amp; &lt;',
    "<link href='https://evil.example'>click</link>",
    # PDF string-literal syntax, for text written as raw PDF operators
    "x) Tj ET BT /F1 99 Tf (y",
    "back\\slash \\) (( ))",
]


def make_line(i: int = 1, **overrides) -> PdfLine:
    values = dict(
        sku=f"SKU-{i:05d}",
        name=f"Product {i}",
        description="Seats for the contact centre" if i % 2 else "",
        quantity=Decimal("2"),
        unit="seat / month",
        unit_price=Decimal("12.50"),
        discount_percent=Decimal("10"),
        net_amount=Decimal("22.50"),
    )
    values.update(overrides)
    return PdfLine(**values)


def make_doc(line_count: int = 3, **overrides) -> QuoteDocument:
    values = dict(
        vendor_name="OpenVoice Ltd",
        vendor_address=("1 Harbour Street", "Bristol BS1 4AA"),
        account_name="Acme Corp",
        account_number="OV-1000001",
        billing_address="Acme Corp\nAccounts Payable\n10 Market Road",
        quote_number="Q-2026-000123",
        revision=2,
        status_label="Sent",
        issued_on=datetime.date(2026, 11, 1),
        valid_until=datetime.date(2026, 12, 1),
        currency="USD",
        term_months=12,
        billing_frequency_label="Monthly",
        prepared_by="Rita Rep",
        lines=tuple(make_line(i) for i in range(1, line_count + 1)),
        subtotal=Decimal("1371.67"),
        discount_total=Decimal("137.17"),
        total=Decimal("1234.50"),
        terms="Payment net 30.\nPrices exclude VAT.",
        notes="Renewal of contract 2025-17.",
        watermark=None,
        show_acceptance_block=True,
        acceptance=None,
    )
    values.update(overrides)
    return QuoteDocument(**values)


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def all_text(data: bytes) -> str:
    return "\n".join(pages_text(data))


def squashed(text: str) -> str:
    """Text without whitespace: wrapping in narrow cells may break a string anywhere."""
    return "".join(text.split())


# --- content ----------------------------------------------------------------------------------


def test_header_lines_and_totals_are_printed():
    # Given a quote with one distinctive line
    doc = make_doc(lines=(make_line(1, sku="PLAT-SEAT", name="Platform seat"),))

    # When it is rendered
    text = pages_text(render_quote_pdf(doc))[0]

    # Then the header, the line and the totals are on the first page
    for expected in (
        "OpenVoice Ltd",
        "1 Harbour Street",
        "Q-2026-000123",
        "Revision 2",
        "Status: Sent",
        "Acme Corp",
        "Account no. OV-1000001",
        "Accounts Payable",
        "Issued: 2026-11-01",
        "Valid until: 2026-12-01",
        "Currency: USD",
        "Term: 12 months",
        "Billing frequency: Monthly",
        "Prepared by: Rita Rep",
        "PLAT-SEAT",
        "Platform seat",
        "Unit price",
        "1,371.67 USD",
        "-137.17 USD",
        "1,234.50 USD",
        "Payment net 30.",
        "Renewal of contract 2025-17.",
    ):
        assert expected in text, expected


def test_line_values_are_formatted_without_losing_precision():
    # Given a line priced below a cent per unit, with a fractional discount
    line = make_line(
        1,
        quantity=Decimal("12000"),
        unit_price=Decimal("0.0125"),
        discount_percent=Decimal("12.5"),
        net_amount=Decimal("131.25"),
    )

    # When it is rendered
    text = all_text(render_quote_pdf(make_doc(lines=(line,))))

    # Then quantity, unit price, discount and amount read as given
    assert "12,000" in text
    assert "0.0125" in text
    assert "12.5" in text
    assert "131.25" in text


def test_every_page_has_a_numbered_footer():
    # Given a quote long enough for several pages
    data = render_quote_pdf(make_doc(line_count=120))

    # When its pages are read
    texts = pages_text(data)

    # Then each page carries "Quote <number> rev <n> — page <i>"
    assert len(texts) > 2
    for number, text in enumerate(texts, start=1):
        assert f"Quote Q-2026-000123 rev 2 \u2014 page {number}" in text


def test_newlines_in_user_text_become_line_breaks():
    # Given a multi-line billing address
    doc = make_doc(billing_address="Acme Corp\nAttn: AP\n10 Market Road")

    # When it is rendered
    lines = [line.strip() for line in all_text(render_quote_pdf(doc)).splitlines()]

    # Then each address line is a line of its own and no markup leaks
    assert "Attn: AP" in lines
    assert "10 Market Road" in lines
    assert "<br/>" not in "\n".join(lines)


# --- safety -----------------------------------------------------------------------------------


# The str fields printed: 10 of the document (the billing address holds the value twice, the
# vendor address once), 4 of the line, 4 of the acceptance.
FIELDS_WITH_TEXT = 19


def _doc_with_text_everywhere(value: str) -> QuoteDocument:
    return make_doc(
        vendor_name=value,
        vendor_address=(value,),
        account_name=value,
        account_number=value,
        billing_address=f"{value}\n{value}",
        status_label=value,
        billing_frequency_label=value,
        prepared_by=value,
        terms=value,
        notes=value,
        lines=(make_line(1, sku=value, name=value, description=value, unit=value),),
        acceptance=PdfAcceptance(value, value, datetime.date(2026, 11, 20), value, value),
    )


@pytest.mark.parametrize("value", ESCAPING_CORPUS)
def test_markup_in_user_text_is_printed_literally(value):
    # Given markup-like text in every user-provided field
    doc = _doc_with_text_everywhere(value)

    # When it is rendered
    data = render_quote_pdf(doc)
    text = all_text(data)

    # Then it is printed as typed: once per field, in full-width notes and wrapped in cells
    assert value in text
    assert squashed(text).count(squashed(value)) == FIELDS_WITH_TEXT


@pytest.mark.parametrize("value", ESCAPING_CORPUS)
def test_markup_in_user_text_creates_no_link_image_or_script(value):
    # Given markup-like text in every user-provided field
    data = render_quote_pdf(_doc_with_text_everywhere(value))

    # When the PDF's pages are inspected
    reader = PdfReader(io.BytesIO(data))

    # Then no page has annotations (links) or XObjects (images), and no action exists at all
    for page in reader.pages:
        assert "/Annots" not in page
        resources = page.get("/Resources")
        assert "/XObject" not in resources
    for marker in (b"/Annots", b"/URI", b"/JavaScript", b"/JS", b"/Launch", b"/XObject"):
        assert marker not in data


def test_unicode_renders_without_crashing():
    # Given accented and CJK text (the built-in fonts have no CJK glyphs)
    value = "Zo\u00eb \u2014 \u65e5\u672c"

    # When it is rendered in every field
    text = all_text(render_quote_pdf(_doc_with_text_everywhere(value)))

    # Then the Latin part is printed as typed (CJK may show as boxes)
    assert "Zo\u00eb \u2014" in text


BIDI_CONTROLS = (
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings, overrides, pop
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # left-to-right, right-to-left and Arabic letter marks
)


def test_bidirectional_controls_are_stripped():
    # Given text that a right-to-left override would display reversed, with every other
    # bidirectional formatting character sprinkled in
    value = "Total \u202e00.001 USD\u202c " + "".join(f"x{char}" for char in BIDI_CONTROLS) + "x"

    # When it is rendered in every field
    data = render_quote_pdf(_doc_with_text_everywhere(value))
    text = all_text(data)

    # Then it is printed in its stored order, without any of them, once per field
    clean = "Total 00.001 USD " + "x" * (len(BIDI_CONTROLS) + 1)
    assert clean in text
    assert squashed(text).count(squashed(clean)) == FIELDS_WITH_TEXT
    assert not set(BIDI_CONTROLS) & set(text)


def test_control_characters_are_stripped():
    # Given text with control characters, a lone surrogate and every newline convention
    value = "bell\x07 nul\x00 esc\x1b del\x7f c1\x85 sur\ud800rogate\r\nnext\rlast"

    # When it is rendered in every field
    text = all_text(render_quote_pdf(_doc_with_text_everywhere(value)))

    # Then the visible text survives and no control character reaches the PDF text
    assert "bell nul esc del c1 surrogate" in text
    assert "last" in text
    assert not any(ord(char) < 32 and char not in "\n\t" for char in text)
    assert "\x7f" not in text and "\x85" not in text


def test_very_long_user_text_spills_over_pages_instead_of_failing():
    # Given a 20,000-character description, a 3,000-character SKU without spaces and a
    # 300-line billing address (no single table row may outgrow a page)
    description = " ".join(f"word{i}" for i in range(3000)) + " THE-END"
    doc = make_doc(
        billing_address="\n".join(f"Address line {i}" for i in range(300)),
        lines=(make_line(1, sku="X" * 3000, description=description), make_line(2)),
    )

    # When it is rendered
    texts = pages_text(render_quote_pdf(doc))

    # Then it spans pages and nothing is lost
    text = "\n".join(texts)
    assert len(texts) > 5
    assert "Address line 299" in text
    assert "THE-END" in text
    assert squashed(text).count("X") == 3000
    assert "SKU-00002" in text


# --- determinism ------------------------------------------------------------------------------


def test_same_document_gives_identical_bytes():
    # Given two equal documents built separately
    first, second = make_doc(line_count=30), make_doc(line_count=30)

    # When each is rendered, at different wall-clock times
    with freeze_time("2026-01-01 08:00:00"):
        data_1 = render_quote_pdf(first)
    with freeze_time("2031-07-15 23:59:59"):
        data_2 = render_quote_pdf(second)
    data_3 = render_quote_pdf(first)

    # Then the bytes, hence the stored hash, are identical
    assert data_1 == data_2 == data_3
    assert hashlib.sha256(data_1).hexdigest() == hashlib.sha256(data_2).hexdigest()


def test_changing_one_line_changes_the_hash():
    # Given a quote and the same quote with one quantity changed
    doc = make_doc(line_count=30)
    lines = list(doc.lines)
    lines[17] = dataclasses.replace(lines[17], quantity=Decimal("3"))
    changed = dataclasses.replace(doc, lines=tuple(lines))

    # When both are rendered
    original_hash = hashlib.sha256(render_quote_pdf(doc)).hexdigest()
    changed_hash = hashlib.sha256(render_quote_pdf(changed)).hexdigest()

    # Then the hashes differ
    assert original_hash != changed_hash


# --- pagination -------------------------------------------------------------------------------


def _skus(texts: list[str]) -> list[str]:
    return [word for text in texts for word in text.split() if word.startswith("SKU-0")]


@pytest.mark.parametrize("chunk_rows", [1, 7, 50, 100])
def test_long_quote_repeats_the_column_header_on_every_page_once(chunk_rows):
    # Given a quote of 200 lines
    doc = make_doc(line_count=200)

    # When it is rendered, with small or page-sized tables
    texts = pages_text(render_quote_pdf(doc, chunk_rows=chunk_rows))

    # Then it spans several pages, each with exactly one column header row (none mid-page)
    assert len(texts) > 3
    for text in texts:
        assert text.count("Unit price") == 1
        assert text.count("Disc. %") == 1
    # And every line appears exactly once, in order
    assert _skus(texts) == [f"SKU-{i:05d}" for i in range(1, 201)]


def test_line_table_text_is_drawn_in_its_own_font_size_on_every_page():
    # Given a multi-page quote split into several tables per page
    data = render_quote_pdf(make_doc(line_count=120), chunk_rows=7)

    # When the font size of every SKU and amount drawn is collected
    sizes: dict[str, set[float]] = {"sku": set(), "amount": set()}

    def visit(text, cm, tm, font, font_size):
        scale = abs(cm[3] * tm[3]) or 1
        if text.strip().startswith("SKU-0"):
            sizes["sku"].add(round(font_size * scale, 2))
        elif text.strip() == "22.50":
            sizes["amount"].add(round(font_size * scale, 2))

    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=visit)

    # Then all of them are 8 pt: no cell falls back to another font state
    assert sizes == {"sku": {8.0}, "amount": {8.0}}


def test_page_count_grows_with_lines():
    # Given quotes of 20 and 200 lines
    short, long = make_doc(line_count=20), make_doc(line_count=200)

    # When both are rendered
    short_pages = len(pages_text(render_quote_pdf(short)))
    long_pages = len(pages_text(render_quote_pdf(long)))

    # Then the long one has more pages
    assert short_pages <= 2
    assert long_pages > 3
    assert long_pages > short_pages


def test_single_table_render_has_the_same_content():
    # Given a multi-page quote
    doc = make_doc(line_count=150)

    # When rendered both ways
    chunked = pages_text(render_quote_pdf(doc))
    single = pages_text(render_quote_pdf_single_table(doc))

    # Then the benchmark compares like with like: same pages, same lines
    assert len(single) == len(chunked)
    assert _skus(single) == _skus(chunked)


def test_quote_without_lines_renders():
    # Given a quote without lines
    text = all_text(render_quote_pdf(make_doc(lines=())))

    # Then the table header and totals are still printed
    assert "Unit price" in text
    assert "1,234.50 USD" in text


# --- acceptance -------------------------------------------------------------------------------


def _accepted(po_number: str = "PO-4711") -> PdfAcceptance:
    return PdfAcceptance(
        accepted_by_name="Ann Smith",
        accepted_by_login="ap@acme.example",
        accepted_at=datetime.date(2026, 11, 20),
        accepted_pdf_sha256=ACCEPTED_SHA,
        po_number=po_number,
    )


def test_accepted_quote_carries_the_stamp_and_hash():
    # Given an accepted quote
    doc = make_doc(status_label="Accepted", acceptance=_accepted(), show_acceptance_block=False)

    # When it is rendered
    text = all_text(render_quote_pdf(doc))

    # Then the stamp names who accepted, when, with which purchase order, and what
    assert "ACCEPTED" in text
    assert "Accepted by Ann Smith (ap@acme.example) on 2026-11-20" in text
    assert "Purchase order number: PO-4711" in text
    assert f"SHA-256 of the accepted document: {ACCEPTED_SHA}" in text
    assert "accepted in the billing portal by a billing contact" not in text
    assert "User ID" not in text.splitlines()
    assert NOT_VALID not in text


def test_accepted_quote_without_purchase_order_says_so():
    # Given a quote accepted without a PO number (the account does not require one)
    doc = make_doc(status_label="Accepted", acceptance=_accepted(po_number=" "))

    # When it is rendered
    text = all_text(render_quote_pdf(doc))

    # Then the stamp says none was given rather than leaving a blank
    assert "Purchase order number: none given" in text


def test_unaccepted_quote_has_signature_lines_and_no_stamp():
    # Given a quote not yet accepted
    doc = make_doc(acceptance=None)

    # When it is rendered
    text = all_text(render_quote_pdf(doc))

    # Then it explains portal acceptance, leaves lines to fill, and has no stamp or hash
    assert "accepted in the billing portal by a billing contact" in text
    for label in ("Name", "User ID", "Date"):
        assert label in text.splitlines()
    assert "Accepted by" not in text
    assert "ACCEPTED" not in text
    assert ACCEPTED_SHA not in text


# --- currencies -------------------------------------------------------------------------------


def test_jpy_has_no_decimals():
    # Given a yen quote
    doc = make_doc(
        currency="JPY",
        lines=(
            make_line(
                1,
                unit_price=Decimal("1500"),
                discount_percent=Decimal("0"),
                net_amount=Decimal("3000"),
            ),
        ),
        subtotal=Decimal("123456"),
        discount_total=Decimal("0"),
        total=Decimal("123456"),
    )

    # When it is rendered
    text = all_text(render_quote_pdf(doc))

    # Then amounts have no minor unit
    assert "123,456 JPY" in text
    assert "0 JPY" in text.splitlines()
    assert "1,500" in text.split()
    assert "3,000" in text.split()
    assert "123,456.00" not in text


def test_bhd_has_three_decimals():
    # Given a Bahraini dinar quote
    doc = make_doc(
        currency="BHD",
        lines=(make_line(1, unit_price=Decimal("0.125"), net_amount=Decimal("0.225")),),
        subtotal=Decimal("1371.675"),
        discount_total=Decimal("137.175"),
        total=Decimal("1234.5"),
    )

    # When it is rendered
    text = all_text(render_quote_pdf(doc))

    # Then amounts have three decimals
    assert "1,371.675 BHD" in text
    assert "-137.175 BHD" in text
    assert "1,234.500 BHD" in text
    assert "0.125" in text.split()
    assert "0.225" in text.split()


# --- purity -----------------------------------------------------------------------------------


def test_module_imports_without_django_or_workflows():
    # Given a fresh interpreter
    code = (
        "import sys, quotes.pdf; "
        "loaded = {name.split('.')[0] for name in sys.modules}; "
        "print(sorted(loaded & {'django', 'viewflow', 'workflows'}))"
    )

    # When only quotes.pdf is imported
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )

    # Then neither Django nor the workflow code was loaded
    assert result.stdout.strip() == "[]"


# --- what the document is: watermark and acceptance block ------------------------------------

NOT_VALID = "NOT VALID FOR ACCEPTANCE"
# The watermarks quotes.documents gives each status that cannot be accepted.
WATERMARKS = {
    "Draft": "DRAFT",
    "Pending internal approval": "PENDING INTERNAL APPROVAL",
    "Changes requested": "CHANGES REQUESTED",
    "Rejected": "REJECTED",
    "Expired": "EXPIRED",
    "Withdrawn": "WITHDRAWN",
    "Superseded": "SUPERSEDED",
}


def diagonal_text(data: bytes) -> list[list[str]]:
    """Per page, the strings drawn rotated (neither horizontal nor vertical)."""
    pages = []
    for page in PdfReader(io.BytesIO(data)).pages:
        found: list[str] = []

        def visit(text, cm, tm, font, font_size, found=found):
            # The combined matrix: rotated when it has both a sine and a cosine part.
            a, b = cm[0] * tm[0] + cm[2] * tm[1], cm[1] * tm[0] + cm[3] * tm[1]
            if text.strip() and abs(a) > 0.1 and abs(b) > 0.1:
                found.append(text.strip())

        page.extract_text(visitor_text=visit)
        pages.append(found)
    return pages


def _signature_block_in(text: str) -> bool:
    lines = text.splitlines()
    return "accepted in the billing portal by a billing contact" in text or any(
        label in lines for label in ("Name", "User ID", "Date")
    )


@pytest.mark.parametrize(("label", "status"), list(WATERMARKS.items()))
def test_unacceptable_revision_is_watermarked_on_every_page_without_acceptance_block(label, status):
    # Given a multi-page quote in a status that cannot be accepted
    doc = make_doc(
        line_count=120,
        status_label=label,
        watermark=f"{status}\n{NOT_VALID}",
        show_acceptance_block=False,
    )

    # When it is rendered
    data = render_quote_pdf(doc)
    texts = pages_text(data)

    # Then every page carries the status across it, diagonally
    assert len(texts) > 2
    for text, diagonal in zip(texts, diagonal_text(data), strict=True):
        assert diagonal == [status, NOT_VALID]
        assert status in text and NOT_VALID in text
    # And the header states it, and there is no acceptance block nor stamp
    text = "\n".join(texts)
    assert f"Status: {label}" in text
    assert not _signature_block_in(text)
    assert "ACCEPTED" not in text
    # And the content is all there under it
    assert _skus(texts) == [f"SKU-{i:05d}" for i in range(1, 121)]


def test_sent_revision_has_acceptance_block_and_no_watermark():
    # Given a multi-page quote as sent: acceptable
    doc = make_doc(line_count=120, status_label="Sent", watermark=None, show_acceptance_block=True)

    # When it is rendered
    data = render_quote_pdf(doc)
    text = all_text(data)

    # Then nothing is drawn across any page, and the signature block is there
    assert all(diagonal == [] for diagonal in diagonal_text(data))
    assert NOT_VALID not in text
    assert _signature_block_in(text)


def test_accepted_revision_has_stamp_and_no_watermark():
    # Given a multi-page accepted quote
    doc = make_doc(
        line_count=120,
        status_label="Accepted",
        watermark=None,
        show_acceptance_block=False,
        acceptance=_accepted(),
    )

    # When it is rendered
    data = render_quote_pdf(doc)
    text = all_text(data)

    # Then it has the stamp with the PO number, no signature block and no watermark
    assert "ACCEPTED" in text
    assert "Purchase order number: PO-4711" in text
    assert not _signature_block_in(text)
    assert all(diagonal == [] for diagonal in diagonal_text(data))


def test_watermark_is_deterministic_and_part_of_the_hash():
    # Given the same quote as sent and as superseded
    sent = make_doc(line_count=30)
    superseded = dataclasses.replace(
        sent, watermark=f"SUPERSEDED\n{NOT_VALID}", show_acceptance_block=False
    )

    # When each is rendered twice
    # Then each gives the same bytes every time, and the two differ
    assert render_quote_pdf(superseded) == render_quote_pdf(superseded)
    assert render_quote_pdf(sent) == render_quote_pdf(sent)
    assert render_quote_pdf(sent) != render_quote_pdf(superseded)


# --- public API only --------------------------------------------------------------------------

PDF_MODULE = REPO_ROOT / "quotes" / "pdf.py"
# What a Flowable of our own may define: the public protocol a frame calls.
FLOWABLE_METHODS = {"__init__", "wrap", "draw", "split"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_renderer_uses_no_private_reportlab_api_and_no_raw_pdf():
    # Given the renderer's source
    source = PDF_MODULE.read_text()
    tree = ast.parse(source)

    # Then it neither overrides reportlab's cell hook nor writes raw PDF operators
    assert "_drawCell" not in source
    assert "addLiteral" not in source
    assert "_code" not in source

    # And it imports nothing private from reportlab
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reportlab"):
            assert not _private(node.module.rsplit(".", 1)[-1]), node.module
            assert not any(_private(alias.name) for alias in node.names), node.module

    # And it reaches no private attribute of anything (canvas._code, Table._drawCell,
    # super()._x, ...): private names of its own are module-level functions and constants
    private = sorted(
        {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and _private(node.attr)
        }
    )
    assert private == []

    # And its classes that extend a reportlab class are Flowables defining only the public
    # protocol: no override of an underscore method
    reportlab_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reportlab")
        for alias in node.names
    }
    subclasses = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(isinstance(base, ast.Name) and base.id in reportlab_names for base in node.bases)
    ]
    assert subclasses, "expected the line table's Flowables"
    for cls in subclasses:
        assert [ast.unparse(base) for base in cls.bases] == ["Flowable"], cls.name
        methods = {item.name for item in cls.body if isinstance(item, ast.FunctionDef)}
        assert methods <= FLOWABLE_METHODS, (cls.name, methods - FLOWABLE_METHODS)


def test_single_table_baseline_is_not_in_the_product_module():
    # Given the renderer module
    import quotes.pdf

    # Then the benchmark's one-Table renderer lives in bench/, not here
    assert not hasattr(quotes.pdf, "render_quote_pdf_single_table")
