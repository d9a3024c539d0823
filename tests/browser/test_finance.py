"""Finance in a real browser: the dashboard's charts, their numbers a click away, a bar that
leads to the list it counted, and a workbook exported from the export page, downloaded from the
export's own page and reopened."""

import re

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.finance.test_dashboard import quote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base, login):
    page.goto(f"{base}/login/")
    page.fill("#id_username", login)
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_finance_reads_the_dashboard_follows_a_bar_and_downloads_a_workbook(
    world, live_server, page, screenshot, tmp_path
):
    base = live_server.url
    quote(world.a, world.rep_a, "sent", total="1000.50")
    quote(world.a, world.rep_a, "accepted", total="4000.00")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # Given finance signs in and opens the dashboard from the menu
    _sign_in(page, base, world.finance.username)
    page.click("nav >> text=Dashboard")
    page.wait_for_url(f"{base}/finance/dashboard/")
    assert page.locator("section.panel svg").count() == 6
    screenshot("finance-dashboard")

    # When they open the numbers of the status chart
    table = page.locator("#by-status details table")
    assert not table.is_visible()
    page.click("#by-status details summary")
    assert "1,000.50 USD" in table.inner_text()

    # And click the bar of the sent quotes
    page.click("#by-status svg a[href*='status=sent'] rect")
    page.wait_for_url(f"{base}/finance/dashboard/quotes/?status=sent&currency=USD")
    assert "1,000.50 USD" in page.inner_text("main")
    assert "4,000.00 USD" not in page.inner_text("main")

    # Then the export page starts an export, whose own page offers the workbook once its job
    # has written it (in-process here, as in development), and the workbook reopens with the
    # quotes as numbers
    page.click("nav >> text=Exports")
    page.select_option("#id_register", "quotes")
    page.click("text=Start export")
    page.wait_for_url(re.compile(rf"{re.escape(base)}/finance/exports/\d+/$"))
    assert page.inner_text("#export-status") == "Ready"
    screenshot("finance-export-ready")
    with page.expect_download() as download:
        page.click("#export-download")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    sheet = load_workbook(path)["Quotes"]
    totals = sorted(row[13].value for row in sheet.iter_rows(min_row=3))
    assert totals == [1000.5, 4000]
    # and nothing the Content-Security-Policy refused (only the site's missing favicon, a 404)
    assert [e for e in errors if "404" not in e] == []
