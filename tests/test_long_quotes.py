"""A long quote can be edited: the edit page accepts 1,000 lines in one save, as the browser
posts them (every line's fields, three blank extra rows, the header and the management form)."""

from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from quotes.models import QuoteLine
from tests.quote_builders import draft_quote, product

LINES = 1000
LINE_FIELDS = ("product", "quantity", "unit_price", "discount_percent", "description")


def save(client, quote, data: dict):
    """Posts the edit page as a browser does: form-encoded, not multipart."""
    return client.post(
        reverse("quotes:edit", args=[quote.number]),
        urlencode(data),
        content_type="application/x-www-form-urlencoded",
    )


def edit_post(revision, lines: list[dict], blank_rows: int = 3) -> dict:
    data = {
        "title": "Renewal",
        "term_months": "12",
        "billing_frequency": "annually",
        "valid_until": revision.valid_until.isoformat(),
        "terms": "Net 30",
        "notes": "",
        "lines-TOTAL_FORMS": str(len(lines) + blank_rows),
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "5000",
        "save_and_continue": "",
    }
    for index, values in enumerate([*lines, *([{}] * blank_rows)]):
        for field in LINE_FIELDS:
            data[f"lines-{index}-{field}"] = str(values.get(field, ""))
    return data


def test_a_representative_saves_a_quote_of_a_thousand_lines(world, login):
    # given a draft quote of account A and a thousand sites to quote seats for
    seat = product()
    quote = draft_quote(world.a, world.rep_a)
    revision = quote.current_revision
    lines = [
        {
            "product": seat.pk,
            "quantity": n % 50 + 1,
            "unit_price": "240.00",
            "discount_percent": "5" if n % 2 else "",
            "description": f"Site {n:04d}",
        }
        for n in range(LINES)
    ]
    data = edit_post(revision, lines)
    assert len(data) > 5000  # Django's default allows 1,000 fields: about 197 lines

    # when the representative saves the edit page with all of them
    response = save(login(world.rep_a), quote, data)

    # then the thousand lines are saved in order, with their totals
    assert response.status_code == 302, response.content.decode()[:500]
    saved = QuoteLine.objects.filter(revision=revision).order_by("position")
    assert saved.count() == LINES
    assert [line.description for line in saved[:3]] == ["Site 0000", "Site 0001", "Site 0002"]
    assert saved.last().description == "Site 0999"
    revision.refresh_from_db()
    quantities = [Decimal(n % 50 + 1) for n in range(LINES)]
    gross = sum(q * Decimal("240.00") for q in quantities)
    discount = sum(q * Decimal("12.00") for n, q in enumerate(quantities) if n % 2)
    assert (revision.subtotal, revision.discount_total, revision.total) == (
        gross,
        discount,
        gross - discount,
    )


def test_a_thousand_lines_with_full_length_descriptions_in_japanese_are_saved(world, login):
    # given a draft quote, and a thousand lines each with a 500-character description in a
    # script that takes 9 bytes a character once form-encoded (about 4.5 MB in all)
    seat = product()
    quote = draft_quote(world.a, world.rep_a)
    description = ("東京本社の会議室用の席" * 50)[:500]
    lines = [{"product": seat.pk, "quantity": 1, "description": description}] * LINES

    # when the representative saves them
    response = save(login(world.rep_a), quote, edit_post(quote.current_revision, lines))

    # then they are all saved, word for word
    assert response.status_code == 302
    saved = QuoteLine.objects.filter(revision=quote.current_revision)
    assert saved.count() == LINES
    assert set(saved.values_list("description", flat=True)) == {description}
