"""Quote lines are validated on the edit page: every bad line is a 400 with the message on the
field that is wrong, and nothing at all is saved (lines, totals, header, audit trail)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from audit.models import AuditAction, AuditEvent
from quotes.models import Product, QuoteLine, QuoteRevision
from tests import factories
from tests.quote_builders import draft_quote, line, product

LINE_FIELDS = ("product", "quantity", "unit_price", "discount_percent", "description")


def edit_post(revision, lines, *, initial_forms=1, blank_forms=1, **header):
    """The edit page's POST: header, management form and ``lines`` followed by blank extra
    rows, as the browser sends them."""
    data = {
        "title": header.get("title", revision.title),
        "term_months": header.get("term_months", revision.term_months),
        "billing_frequency": header.get("billing_frequency", revision.billing_frequency),
        "valid_until": revision.valid_until.isoformat(),
        "terms": header.get("terms", revision.terms),
        "notes": header.get("notes", revision.notes),
        "lines-TOTAL_FORMS": str(len(lines) + blank_forms),
        "lines-INITIAL_FORMS": str(initial_forms),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "5000",
        "save_and_continue": "",
    }
    for index, values in enumerate([*lines, *([{}] * blank_forms)]):
        for field in LINE_FIELDS:
            value = values.get(field, "")
            data[f"lines-{index}-{field}"] = "" if value is None else str(value)
    return data


def snapshot(revision):
    """Everything an invalid post must leave as it was."""
    revision = QuoteRevision.objects.get(pk=revision.pk)
    return {
        "header": (revision.term_months, revision.terms, revision.notes),
        "totals": (revision.subtotal, revision.discount_total, revision.total),
        "lines": list(
            QuoteLine.objects.filter(revision=revision)
            .order_by("position")
            .values_list(
                "position",
                "sku",
                "quantity",
                "unit_price",
                "discount_percent",
                "gross_amount",
                "discount_amount",
                "net_amount",
            )
        ),
        "audit_events": AuditEvent.objects.count(),
    }


@pytest.fixture
def seat(db):
    """OV-SEAT-STD: 240.00 USD and 220.00 EUR a year, 24.00 USD a month."""
    return product()


@pytest.fixture
def usd_draft(world, seat):
    """A draft of account A (USD): 10 seats at 240.00 = 2,400.00."""
    return draft_quote(world.a, world.rep_a, lines=[line(seat, "10", "240.00")])


@pytest.fixture
def eur_draft(world, seat):
    """A draft of account B (EUR): 10 seats at 220.00 = 2,200.00."""
    return draft_quote(world.b, world.rep_b, lines=[line(seat, "10", "220.00")])


@pytest.fixture
def jpy(db, seat):
    """A JPY account, its representative and a draft: 3 seats at 26,000 = 78,000."""
    account = factories.AccountFactory(currency="JPY", time_zone="Asia/Tokyo")
    rep = factories.representative(account, username="rep.tokyo")
    product(JPY_annually="26000")
    quote = draft_quote(account, rep, lines=[line(seat, "3", "26000")])
    return account, rep, quote


def assert_refused(response, field, message, before, revision):
    """400, ``message`` on ``field`` of the first line only, shown on the page, nothing saved."""
    assert response.status_code == 400
    forms = response.context["lines"].forms
    assert forms[0].errors == {field: [message]}
    assert [form.errors for form in forms[1:]] == [{}] * (len(forms) - 1)
    assert response.context["header"].errors == {}
    assert escape(message) in response.content.decode()
    assert snapshot(revision) == before


INVALID_USD_LINES = [
    pytest.param(
        {"quantity": "-1", "unit_price": "240.00"},
        "quantity",
        "Ensure this value is greater than or equal to 0.01.",
        id="negative-quantity",
    ),
    pytest.param(
        {"quantity": "0", "unit_price": "240.00"},
        "quantity",
        "Ensure this value is greater than or equal to 0.01.",
        id="zero-quantity",
    ),
    pytest.param(
        {"quantity": "1.234", "unit_price": "240.00"},
        "quantity",
        "Ensure that there are no more than 2 decimal places.",
        id="quantity-with-3-decimals",
    ),
    pytest.param(
        {"quantity": "10", "unit_price": "240.00", "discount_percent": "100.01"},
        "discount_percent",
        "Ensure this value is less than or equal to 100.",
        id="discount-over-100",
    ),
    pytest.param(
        {"quantity": "10", "unit_price": "240.00", "discount_percent": "-5"},
        "discount_percent",
        "Ensure this value is greater than or equal to 0.",
        id="negative-discount",
    ),
    pytest.param(
        {"quantity": "1", "unit_price": "1234567890123"},
        "unit_price",
        "Ensure that there are no more than 12 digits before the decimal point.",
        id="13-digit-unit-price",
    ),
    pytest.param(
        {"quantity": "1", "unit_price": "-0.01"},
        "unit_price",
        "Ensure this value is greater than or equal to 0.",
        id="negative-unit-price",
    ),
    pytest.param(
        {"quantity": "10", "unit_price": "12.345"},
        "unit_price",
        "USD amounts have 2 decimal places.",
        id="usd-price-with-3-decimals",
    ),
    pytest.param(
        {"quantity": "1000", "unit_price": "999999999999"},
        "quantity",
        "This line's amount is too large (at most 12 digits).",
        id="line-amount-over-12-digits",
    ),
]


@pytest.mark.parametrize(("values", "field", "message"), INVALID_USD_LINES)
def test_an_invalid_usd_line_is_refused_and_nothing_is_saved(
    world, login, seat, usd_draft, values, field, message
):
    # given a USD draft of 2,400.00 and its representative on the edit page
    revision = usd_draft.current_revision
    before = snapshot(revision)
    assert before["totals"] == (Decimal("2400"), Decimal("0"), Decimal("2400"))

    # when they post a bad line (and a header change, which must not be saved either)
    response = login(world.rep_a).post(
        reverse("quotes:edit", args=[usd_draft.number]),
        edit_post(revision, [{"product": seat.pk, **values}], term_months=24, notes="changed"),
    )

    # then the page says what is wrong, on that field, and nothing changed
    assert_refused(response, field, message, before, revision)


def test_an_inactive_product_cannot_be_chosen(world, login, usd_draft):
    # given a product withdrawn from the price book
    retired = product(sku="OV-LEGACY", name="Legacy bridge", USD_annually="99.00")
    Product.objects.filter(pk=retired.pk).update(is_active=False)
    revision = usd_draft.current_revision
    before = snapshot(revision)

    # when the representative posts a line for it
    response = login(world.rep_a).post(
        reverse("quotes:edit", args=[usd_draft.number]),
        edit_post(revision, [{"product": retired.pk, "quantity": "1", "unit_price": "99.00"}]),
    )

    # then it is not a valid choice and nothing changed
    assert_refused(
        response,
        "product",
        "Select a valid choice. That choice is not one of the available choices.",
        before,
        revision,
    )
    # and the edit page does not offer it
    choices = response.context["lines"].forms[0].fields["product"].queryset
    assert list(choices.values_list("sku", flat=True)) == ["OV-SEAT-STD"]
    assert "Legacy bridge" not in response.content.decode()


def test_a_bad_line_among_good_ones_saves_none_of_them(world, login, seat, usd_draft):
    # given the USD draft
    revision = usd_draft.current_revision
    before = snapshot(revision)

    # when two good lines are posted with a bad one between them
    response = login(world.rep_a).post(
        reverse("quotes:edit", args=[usd_draft.number]),
        edit_post(
            revision,
            [
                {"product": seat.pk, "quantity": "1"},
                {"product": seat.pk, "quantity": "2", "discount_percent": "101"},
                {"product": seat.pk, "quantity": "3"},
            ],
        ),
    )

    # then only the bad line carries an error and none is saved
    assert response.status_code == 400
    errors = [form.errors for form in response.context["lines"].forms]
    assert errors == [
        {},
        {"discount_percent": ["Ensure this value is less than or equal to 100."]},
        {},
        {},
    ]
    assert snapshot(revision) == before


def test_a_jpy_price_with_decimals_is_refused(world, login, jpy, seat):
    # given a JPY account's draft of 78,000 yen
    account, rep, quote = jpy
    revision = quote.current_revision
    before = snapshot(revision)
    assert before["totals"] == (Decimal("78000"), Decimal("0"), Decimal("78000"))

    # when its representative types a price in tenths of a yen
    response = login(rep).post(
        reverse("quotes:edit", args=[quote.number]),
        edit_post(revision, [{"product": seat.pk, "quantity": "2", "unit_price": "10.5"}]),
    )

    # then the yen has no decimals, and nothing changed
    assert_refused(response, "unit_price", "JPY amounts have no decimal places.", before, revision)


def test_a_product_without_a_list_price_in_the_account_currency_needs_a_typed_price(
    world, login, eur_draft
):
    # given a product priced in USD only, and a EUR account's draft
    us_only = product(sku="OV-US-PSTN", name="US dial-in minutes", USD_annually="0.05")
    revision = eur_draft.current_revision
    before = snapshot(revision)
    assert before["totals"] == (Decimal("2200"), Decimal("0"), Decimal("2200"))

    # when the representative of B quotes it without typing a unit price
    response = login(world.rep_b).post(
        reverse("quotes:edit", args=[eur_draft.number]),
        edit_post(revision, [{"product": us_only.pk, "quantity": "1000"}]),
    )

    # then the list price is not silently taken from another currency, and nothing changed
    assert_refused(
        response,
        "unit_price",
        "OV-US-PSTN has no annual list price in EUR, the account's currency: enter a unit price.",
        before,
        revision,
    )


def test_a_list_price_of_another_billing_frequency_is_not_used(world, login, seat, usd_draft):
    # given a product with a monthly USD price only
    monthly = product(sku="OV-REC-M", name="Recording", USD_monthly="5.00")
    revision = usd_draft.current_revision
    before = snapshot(revision)

    # when it is quoted on the annual draft without a unit price
    response = login(world.rep_a).post(
        reverse("quotes:edit", args=[usd_draft.number]),
        edit_post(revision, [{"product": monthly.pk, "quantity": "1"}]),
    )

    # then the page asks for a price instead of billing 5.00 a year
    assert_refused(
        response,
        "unit_price",
        "OV-REC-M has no annual list price in USD, the account's currency: enter a unit price.",
        before,
        revision,
    )


def test_a_valid_post_saves_exactly_the_expected_lines_and_totals(world, login, seat, usd_draft):
    # given the USD draft of 2,400.00 and a second product
    bridge = product(sku="OV-BRIDGE", name="Audio bridge", unit="bridge", USD_annually="19.99")
    revision = usd_draft.current_revision
    audit_before = AuditEvent.objects.count()

    # when the representative replaces its lines
    response = login(world.rep_a).post(
        reverse("quotes:edit", args=[usd_draft.number]),
        edit_post(
            revision,
            [
                # the list price (240.00), 10 % off
                {"product": seat.pk, "quantity": "3", "discount_percent": "10"},
                # a typed price, 12.5 % off: 139.93 × 12.5 % = 17.49125 → 17.49
                {
                    "product": bridge.pk,
                    "quantity": "7",
                    "unit_price": "19.99",
                    "discount_percent": "12.5",
                    "description": "Spare bridges",
                },
            ],
            term_months=24,
            notes="Two-year term",
        ),
    )

    # then it is saved and the draft shows again for more lines
    assert response.status_code == 302
    assert response["Location"] == reverse("quotes:edit", args=[usd_draft.number])
    after = snapshot(revision)
    assert after["header"] == (24, "Net 30", "Two-year term")
    assert after["lines"] == [
        (
            1,
            "OV-SEAT-STD",
            Decimal("3"),
            Decimal("240"),
            Decimal("10"),
            Decimal("720.00"),
            Decimal("72.00"),
            Decimal("648.00"),
        ),
        (
            2,
            "OV-BRIDGE",
            Decimal("7"),
            Decimal("19.99"),
            Decimal("12.5"),
            Decimal("139.93"),
            Decimal("17.49"),
            Decimal("122.44"),
        ),
    ]
    assert after["totals"] == (Decimal("859.93"), Decimal("89.49"), Decimal("770.44"))
    assert after["audit_events"] == audit_before + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.actor, event.message) == (
        AuditAction.QUOTE_EDITED,
        world.rep_a,
        f"rev {revision.number}",
    )
    assert Decimal(event.before["total"]) == Decimal("2400")
    assert event.after == {
        "title": "Renewal",
        "total": "770.44",
        "term_months": 24,
        "billing_frequency": "annually",
        "lines": 2,
    }


def test_a_valid_jpy_post_rounds_each_line_to_whole_yen(world, login, jpy, seat):
    # given the JPY draft
    account, rep, quote = jpy
    revision = quote.current_revision

    # when two lines are saved whose discounts end in fractions of a yen
    response = login(rep).post(
        reverse("quotes:edit", args=[quote.number]),
        edit_post(
            revision,
            [
                # 26,000 list price × 3 = 78,000; 12.5 % = 9,750
                {"product": seat.pk, "quantity": "3", "discount_percent": "12.5"},
                # 1,999 × 1 = 1,999; 12.5 % = 249.875 → 250
                {
                    "product": seat.pk,
                    "quantity": "1",
                    "unit_price": "1999",
                    "discount_percent": "12.5",
                },
            ],
        ),
    )

    # then the totals are sums of the rounded lines, in whole yen
    assert response.status_code == 302
    after = snapshot(revision)
    assert [row[5:] for row in after["lines"]] == [
        (Decimal("78000"), Decimal("9750"), Decimal("68250")),
        (Decimal("1999"), Decimal("250"), Decimal("1749")),
    ]
    assert after["totals"] == (Decimal("79999"), Decimal("10000"), Decimal("69999"))


def test_a_valid_eur_post_takes_the_eur_list_price(world, login, seat, eur_draft):
    # given the EUR draft
    revision = eur_draft.current_revision

    # when a line is saved without a unit price
    response = login(world.rep_b).post(
        reverse("quotes:edit", args=[eur_draft.number]),
        edit_post(revision, [{"product": seat.pk, "quantity": "2"}]),
    )

    # then the EUR list price (220.00) is used, not the USD one (240.00)
    assert response.status_code == 302
    after = snapshot(revision)
    assert [row[3:] for row in after["lines"]] == [
        (Decimal("220"), Decimal("0"), Decimal("440"), Decimal("0"), Decimal("440"))
    ]
    assert after["totals"] == (Decimal("440.00"), Decimal("0.00"), Decimal("440.00"))


@pytest.mark.parametrize(
    ("currency", "unit_price", "count"),
    [
        pytest.param("USD", "999999999999.99", 101, id="usd-total-over-10^14"),
        pytest.param("BHD", "999999999999.999", 2, id="bhd-total-of-16-digits"),
    ],
)
def test_a_total_beyond_12_digits_is_refused(login, seat, currency, unit_price, count):
    # given a draft in the currency, whose every line may be as large as 12 digits
    account = factories.AccountFactory(currency=currency)
    rep = factories.representative(account)
    quote = draft_quote(account, rep, lines=[line(seat, "1", "1.000")])
    revision = quote.current_revision
    before = snapshot(revision)

    # when lines are posted that are each valid but add up to more than 12 digits
    response = login(rep).post(
        reverse("quotes:edit", args=[quote.number]),
        edit_post(
            revision, [{"product": seat.pk, "quantity": "1", "unit_price": unit_price}] * count
        ),
    )

    # then the page refuses the quote's total and nothing is saved
    assert response.status_code == 400
    assert "The quote&#x27;s total would be more than 12 digits" in response.content.decode()
    assert snapshot(revision) == before
