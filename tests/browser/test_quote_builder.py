"""The quote builder in a real browser (issue 10): lines added and priced as the representative
types, the approval rules that would fire, the same page without JavaScript, "New quote" from
the list, and the hash of each downloaded file as the page prints it."""

import hashlib
import re

import pytest

from quotes.models import QuoteRevision
from tests import factories
from tests import po_builders as pb
from tests import quote_builders as qb
from workflows import services as flow_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base, path, login):
    page.goto(f"{base}{path}")
    page.fill("#id_username", login)
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _pick(page, select, sku):
    value = page.eval_on_selector(
        select,
        "(s, sku) => [...s.options].find(o => o.textContent.startsWith(sku)).value",
        sku,
    )
    page.select_option(select, value)


def _option(page, select, sku):
    return page.eval_on_selector(
        select,
        "(s, sku) => { const o = [...s.options].find(o => o.textContent.startsWith(sku));"
        " return [o.textContent, o.disabled]; }",
        sku,
    )


def test_lines_are_added_and_priced_as_the_representative_types(world, live_server, chromium):
    # Given a representative on a new annual USD draft, and a price book
    qb.ensure_default_rules()
    qb.product()  # OV-SEAT-STD 240.00 a year, 24.00 a month
    qb.product(sku="OV-TF-10K", name="Minutes bundle", unit="bundle", USD_annually="4800.00")
    qb.product(sku="OV-ONBOARD", name="Onboarding", unit="package", USD_one_time="1500.00")
    quote = qb.draft_quote(world.a, world.rep_a, lines=[], title="2027 renewal")
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(page, live_server.url, "/login/", world.rep_a.username)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live_server.url}/quotes/{quote.number}/edit/")

    # Then the picker prices each product per year and does not offer onboarding
    select = "#id_lines-0-product"
    assert _option(page, select, "OV-SEAT-STD") == [
        "OV-SEAT-STD — OpenVoice Standard seat — 240.00 USD / seat / year",
        False,
    ]
    assert _option(page, select, "OV-ONBOARD") == [
        "OV-ONBOARD — Onboarding — no annual price in USD",
        True,
    ]

    # When they fill a line, add a second one on the page and fill it
    _pick(page, select, "OV-SEAT-STD")
    page.fill("#id_lines-0-quantity", "250")
    page.fill("#id_lines-0-discount_percent", "12.5")
    page.click("#add-line")
    _pick(page, "#id_lines-1-product", "OV-TF-10K")
    page.fill("#id_lines-1-quantity", "2")
    page.fill("#id_term_months", "36")

    # Then nothing was posted, the new row is there, and amounts and totals follow the typing:
    # 250 x 240.00 = 60,000.00 - 12.5 % = 52,500.00; 2 x 4,800.00 = 9,600.00
    assert posts == []
    assert page.locator("tr.line-row").count() == 2
    amounts = page.locator(".line-amount").all_inner_texts()
    assert amounts == ["52,500.00", "9,600.00"]
    assert page.inner_text("#preview-subtotal") == "69,600.00 USD"
    assert page.inner_text("#preview-discount") == "\u22127,500.00 USD"
    assert page.inner_text("#preview-total") == "62,100.00 USD"
    assert page.inner_text("#preview-covers") == "per year"
    assert page.inner_text("#preview-term") == "186,300.00 USD (36 months)"
    # And the rules are those the server applies: at 12.5 % off one line the whole quote is
    # 10.78 % off, over the 10 % limit...
    rules = page.inner_text("#preview-rules")
    assert "the whole quote is discounted 10.78% (limit 10.00%)" in rules
    assert "line 1" not in rules
    # ...at 5 % nothing fires...
    page.fill("#id_lines-0-discount_percent", "5")
    assert "No approval rule would fire" in page.inner_text("#preview-rules")
    # ...and the line rule fires the moment the line's discount crosses 15 %
    page.fill("#id_lines-0-discount_percent", "20")
    assert "line 1 is discounted 20.00% (limit 15.00%)" in page.inner_text("#preview-rules")

    # And a counted product says so at once when a fraction is typed
    page.fill("#id_lines-1-quantity", "2.5")
    assert "whole number" in page.inner_text("tr.line-row >> nth=1")
    page.fill("#id_lines-1-quantity", "2")

    # And switching to monthly relabels the picker
    page.select_option("#id_billing_frequency", "monthly")
    assert _option(page, select, "OV-SEAT-STD")[0].endswith("24.00 USD / seat / month")
    assert _option(page, select, "OV-TF-10K") == [
        "OV-TF-10K — Minutes bundle — no monthly price in USD",
        True,
    ]
    page.select_option("#id_billing_frequency", "annually")
    preview_total = page.inner_text("#preview-total")

    # When they save, the server's totals are what the page showed
    page.click("main button:text-is('Save')")
    page.wait_for_url(f"{live_server.url}/quotes/{quote.number}/")
    revision = QuoteRevision.objects.get(pk=quote.current_revision_id)
    assert f"{revision.total:,.2f} USD" == preview_total == "57,600.00 USD"
    assert revision.lines.count() == 2


def test_without_javascript_add_a_line_posts_back_and_keeps_the_typing(
    world, live_server, chromium
):
    seat = qb.product()
    quote = qb.draft_quote(world.a, world.rep_a, lines=[])
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    _sign_in(page, live_server.url, "/login/", world.rep_a.username)
    page.goto(f"{live_server.url}/quotes/{quote.number}/edit/")
    page.select_option("#id_lines-0-product", str(seat.pk))
    page.fill("#id_lines-0-quantity", "7")

    page.click("#add-line")
    page.wait_for_load_state()

    assert page.locator("tr.line-row").count() == 2
    assert page.input_value("#id_lines-0-quantity") == "7"
    assert page.input_value("#id_lines-0-product") == str(seat.pk)
    assert QuoteRevision.objects.get(pk=quote.current_revision_id).lines.count() == 0
    page.select_option("#id_lines-1-product", str(seat.pk))
    page.fill("#id_lines-1-quantity", "3")
    page.click("main button:text-is('Save')")
    page.wait_for_url(f"{live_server.url}/quotes/{quote.number}/")
    assert QuoteRevision.objects.get(pk=quote.current_revision_id).lines.count() == 2


def test_new_quote_from_the_quotes_list(world, live_server, chromium):
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(page, live_server.url, "/login/", world.rep_a.username)
    page.goto(f"{live_server.url}/quotes/")

    page.click("main >> text=New quote")
    page.fill("#account-search", world.a.name[:5])
    page.click("main button:text-is('Find')")
    assert world.b.name not in page.inner_text("main")
    page.click("text=Start a quote")

    assert page.url.endswith(f"/accounts/{world.a.number}/quotes/new/")
    page.fill("#id_title", "From the list")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/quotes/Q-\d{4}-\d{6}/edit/$"))


def test_each_downloaded_file_hashes_to_the_value_printed_next_to_its_name(
    world, live_server, chromium
):
    # Given an accepted quote
    quote = qb.sent_quote(world.a, world.rep_a)
    flow_services.quote_accept(quote=quote, actor=world.contact_a, new_po=pb.new_po("PO-9"))
    page = chromium.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True
    ).new_page()
    _sign_in(page, live_server.url, "/corp-billing/login/", world.contact_a.username)
    page.goto(f"{live_server.url}/quotes/{quote.number}/")

    # When the contact downloads each file listed with a hash
    rows = page.locator("table.hashes tbody tr")
    assert rows.count() == 2
    for i in range(2):
        row = rows.nth(i)
        name = row.locator("a").inner_text()
        printed = row.locator("code.hash").inner_text()
        with page.expect_download() as download:
            row.locator("a").click()

        # Then it has the printed name and `sha256sum` of it prints the printed hash
        assert download.value.suggested_filename == name
        data = download.value.path().read_bytes()
        assert hashlib.sha256(data).hexdigest() == printed
    assert "File this one" in rows.nth(0).inner_text()
    assert "sha256sum" in page.inner_text("#files-h + table + p")
