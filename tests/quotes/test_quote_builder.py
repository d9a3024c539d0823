"""The representative's quote builder (issue 10): a priced product picker, lines added without
saving, "New quote" from the list, and entries refused where they are typed."""

import datetime
import html
import importlib
import json
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from corp_billing.times import today_in
from quotes.models import Product, QuoteLine, QuoteRevision
from tests import factories
from tests import quote_builders as qb

pytestmark = pytest.mark.django_db


def edit_data(revision, rows, **header):
    data = {
        "title": revision.title,
        "term_months": str(revision.term_months),
        "billing_frequency": revision.billing_frequency,
        "valid_until": revision.valid_until.isoformat(),
        "terms": revision.terms,
        "notes": revision.notes,
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "5000",
        **header,
    }
    for i, row in enumerate(rows):
        for name in ("product", "quantity", "unit_price", "discount_percent", "description"):
            data[f"lines-{i}-{name}"] = str(row.get(name, ""))
    return data


def state(quote):
    revision = QuoteRevision.objects.get(pk=quote.current_revision_id)
    return (
        list(QuoteLine.objects.filter(revision=revision).values_list("sku", "quantity")),
        revision.valid_until,
        revision.total,
        AuditEvent.objects.count(),
    )


def options(html_text: str, select_id: str) -> list[tuple[str, bool]]:
    select = re.search(rf'<select[^>]*id="{select_id}".*?</select>', html_text, re.S).group(0)
    return [
        (html.unescape(label).strip(), "disabled" in attrs)
        for attrs, label in re.findall(r"<option([^>]*)>([^<]*)</option>", select)
    ]


@pytest.fixture
def catalogue(db):
    seat = qb.product()  # USD annual 240.00, monthly 24.00
    onboarding = qb.product(
        sku="OV-ONBOARD", name="Onboarding", unit="package", USD_one_time="1500.00"
    )
    minutes = qb.product(sku="OV-MIN", name="Metered minutes", unit="1,000 min", USD_annually="9")
    Product.objects.filter(pk=minutes.pk).update(is_counted=False)
    return {"seat": seat, "onboarding": onboarding, "minutes": minutes}


# --- the picker -----------------------------------------------------------------------------------


def test_the_picker_prices_each_product_and_does_not_offer_one_without_a_price(
    world, login, catalogue
):
    # Given an annual USD draft
    quote = qb.draft_quote(world.a, world.rep_a, lines=[])

    # When the representative opens it
    page = login(world.rep_a).get(reverse("quotes:edit", args=[quote.number])).content.decode()

    # Then each product shows its annual USD list price per unit and year; onboarding, which has
    # only a one-time price, is marked and cannot be picked
    picker = dict(options(page, "id_lines-0-product"))
    assert picker["OV-SEAT-STD — OpenVoice Standard seat — 240.00 USD / seat / year"] is False
    assert picker["OV-ONBOARD — Onboarding — no annual price in USD"] is True
    assert picker["OV-MIN — Metered minutes — 9.00 USD / 1,000 min / year"] is False


def test_a_saved_line_keeps_its_product_selectable_even_without_a_price(world, login, catalogue):
    # Given a draft whose line has onboarding at a typed price
    quote = qb.draft_quote(
        world.a, world.rep_a, lines=[qb.line(catalogue["onboarding"], "1", "1500.00")]
    )

    page = login(world.rep_a).get(reverse("quotes:edit", args=[quote.number])).content.decode()

    (chosen,) = [
        (label, disabled)
        for label, disabled in options(page, "id_lines-0-product")
        if label.startswith("OV-ONBOARD")
    ]
    assert chosen == ("OV-ONBOARD — Onboarding — no annual price in USD", False)


def test_the_picker_reads_the_price_book_once_whatever_the_number_of_rows(world, login, catalogue):
    def count(lines: int) -> int:
        quote = qb.draft_quote(
            world.a, world.rep_a, lines=[qb.line(catalogue["seat"]) for _ in range(lines)]
        )
        client = login(world.rep_a)
        client.get(reverse("quotes:edit", args=[quote.number]))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("quotes:edit", args=[quote.number])).status_code == 200
        return len(ctx.captured_queries)

    assert count(2) == count(40)


# --- adding a line without JavaScript -------------------------------------------------------------


def test_add_a_line_without_javascript_keeps_what_was_typed_and_saves_nothing(
    world, login, catalogue
):
    # Given a draft with one line, and a second one typed but not saved
    quote = qb.draft_quote(world.a, world.rep_a)
    revision = QuoteRevision.objects.get(pk=quote.current_revision_id)
    before = state(quote)
    rows = [
        {"product": catalogue["seat"].pk, "quantity": "10"},
        {"product": catalogue["minutes"].pk, "quantity": "7", "description": "Spare minutes"},
    ]

    # When "Add a line" is pressed (the browser posts the form)
    response = login(world.rep_a).post(
        reverse("quotes:edit", args=[quote.number]),
        {**edit_data(revision, rows, title="Renamed, not yet saved"), "add_line": "1"},
    )

    # Then the page comes back with three rows, the typed ones as typed, and nothing is saved
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="lines-TOTAL_FORMS" value="3"' in page
    assert 'id="id_lines-2-product"' in page
    assert 'value="Spare minutes"' in page and 'value="Renamed, not yet saved"' in page
    assert "errorlist" not in page
    assert state(quote) == before


# --- refused where typed --------------------------------------------------------------------------


def test_a_validity_date_in_the_past_is_refused_at_the_field(world, login, catalogue):
    quote = qb.draft_quote(world.a, world.rep_a)
    revision = QuoteRevision.objects.get(pk=quote.current_revision_id)
    before = state(quote)
    yesterday = today_in(world.a) - datetime.timedelta(days=1)

    response = login(world.rep_a).post(
        reverse("quotes:edit", args=[quote.number]),
        edit_data(
            revision,
            [{"product": catalogue["seat"].pk, "quantity": "10"}],
            valid_until=yesterday.isoformat(),
        ),
    )

    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert (
        "The validity date cannot be in the past: today is "
        f"{today_in(world.a):%Y-%m-%d} in America/New_York." in page
    )
    assert f'min="{today_in(world.a):%Y-%m-%d}"' in page
    assert state(quote) == before


def test_a_new_quote_with_a_past_validity_is_refused(world, login):
    client = login(world.rep_a)
    url = reverse("quotes:create", args=[world.a.number])
    key = re.search(r'name="idempotency_key" value="([^"]+)"', client.get(url).content.decode())

    response = client.post(
        url,
        {
            "idempotency_key": key.group(1),
            "title": "Late",
            "term_months": "12",
            "billing_frequency": "annually",
            "valid_until": "2020-01-01",
        },
    )

    assert response.status_code == 200
    assert "The validity date cannot be in the past" in response.content.decode()
    assert not world.a.quotes.exists()


def test_counted_units_are_whole_numbers_and_metered_ones_need_not_be(world, login, catalogue):
    quote = qb.draft_quote(world.a, world.rep_a)
    revision = QuoteRevision.objects.get(pk=quote.current_revision_id)
    before = state(quote)
    client = login(world.rep_a)
    url = reverse("quotes:edit", args=[quote.number])

    # 2.5 seats is refused at the quantity
    seats = client.post(
        url, edit_data(revision, [{"product": catalogue["seat"].pk, "quantity": "2.5"}])
    )
    assert seats.status_code == 400
    assert "OV-SEAT-STD is counted in whole seats: enter a whole number." in html.unescape(
        seats.content.decode()
    )
    assert state(quote) == before

    # 2.5 thousand metered minutes is fine
    minutes = client.post(
        url, edit_data(revision, [{"product": catalogue["minutes"].pk, "quantity": "2.5"}])
    )
    assert minutes.status_code == 302
    assert state(quote)[0] == [("OV-MIN", Decimal("2.5"))]


def test_existing_products_say_whether_they_are_counted_and_lose_their_period():
    migration = importlib.import_module("quotes.migrations.0006_title_counted_stamped")
    seat = Product.objects.create(sku="S", name="Seat", unit="seat / month", is_counted=False)
    minutes = Product.objects.create(sku="M", name="Minutes", unit="1,000 min / month")

    migration.forwards(apps, None)

    seat.refresh_from_db()
    minutes.refresh_from_db()
    assert (seat.unit, seat.is_counted) == ("seat", True)
    assert (minutes.unit, minutes.is_counted) == ("1,000 min", False)


# --- the live preview's inputs --------------------------------------------------------------------


def test_the_edit_page_gives_the_preview_the_active_rules(world, login, catalogue):
    qb.ensure_default_rules()
    quote = qb.draft_quote(world.a, world.rep_a)

    page = login(world.rep_a).get(reverse("quotes:edit", args=[quote.number])).content.decode()

    config = json.loads(html.unescape(re.search(r'data-preview="([^"]+)"', page).group(1)))
    assert config["currency"] == "USD" and config["places"] == 2
    assert {rule["kind"] for rule in config["rules"]} == {
        "line_discount",
        "quote_discount",
        "total_amount",
    }
    assert '<script src="/static/js/quote_edit.js" defer></script>' in page


# --- "New quote" ----------------------------------------------------------------------------------


def test_new_quote_lists_only_the_representatives_accounts(world, login):
    page = login(world.rep_a).get(reverse("quotes:new")).content.decode()

    assert world.a.name in page and world.b.name not in page
    assert reverse("quotes:create", args=[world.a.number]) in page
    assert reverse("quotes:create", args=[world.b.number]) not in page


def test_the_quotes_list_offers_new_quote_to_representatives_only(world, login):
    rep = login(world.rep_a).get(reverse("quotes:list")).content.decode()
    assert f'href="{reverse("quotes:new")}"' in rep

    for user in (world.contact_a, world.deal_desk, world.finance):
        page = login(user).get(reverse("quotes:list")).content.decode()
        assert reverse("quotes:new") not in page
        assert login(user).get(reverse("quotes:new")).status_code == 404


def test_new_quote_search_and_pages_of_fifty_in_constant_queries(world, login):
    # Given a representative of 60 accounts
    accounts = [
        factories.AccountFactory(number=f"OV-30{i:05d}", name=f"Client {i:02d}") for i in range(60)
    ]
    rep = factories.representative(*accounts, username="rep.many")
    client = login(rep)

    # When they search for "Client 4"
    found = client.get(reverse("quotes:new"), {"q": "client 4"}).content.decode()

    # Then only the ten accounts "Client 40"-"Client 49" are listed
    assert sorted(set(re.findall(r"Client \d\d", found))) == [f"Client 4{i}" for i in range(10)]

    # And unfiltered, the first page holds 50 and points on to the next, in as many queries
    # as a page of 10
    def measure(params):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("quotes:new"), params)
        return response.content.decode(), len(ctx.captured_queries)

    first, many = measure({})
    assert len(set(re.findall(r"Client \d\d", first))) == 50
    assert 'rel="next"' in first
    _, few = measure({"q": "client 1"})
    assert many == few
