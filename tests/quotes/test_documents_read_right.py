"""The quote's documents read as a customer expects (issue 10, "The documents"): one time rule,
units and totals that say their period, one thing to file after acceptance, and a title that can
change while the quote is a draft."""

import datetime
import hashlib
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from corp_billing.times import account_date, account_time, end_of_day, today_in
from quotes.documents import revision_pdf
from quotes.models import Acceptance, BillingFrequency, QuoteRevision
from quotes.periods import line_unit, term_value, total_covers
from tests import po_builders as pb
from tests import quote_builders as qb
from workflows import services as flow_services

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# --- one time rule --------------------------------------------------------------------------------


def test_a_moment_is_shown_in_the_accounts_zone_with_the_zone_named():
    moment = datetime.datetime(2026, 11, 28, 3, 30, tzinfo=datetime.UTC)

    assert account_time(moment, "America/New_York") == "2026-11-27 22:30 America/New_York"
    assert account_time(moment, "Asia/Tokyo") == "2026-11-28 12:30 Asia/Tokyo"
    # a late-evening moment is shown on the account's day, not UTC's
    assert account_date(moment, "America/New_York") == "2026-11-27 (America/New_York)"
    assert end_of_day(datetime.date(2026, 12, 31), "Europe/Berlin") == (
        "2026-12-31, end of day Europe/Berlin"
    )
    assert today_in("America/New_York", moment) == datetime.date(2026, 11, 27)


def test_customer_and_staff_read_the_same_times_in_the_accounts_zone(world, login):
    # Given a quote sent to Alpha Corp (America/New_York)
    quote = qb.sent_quote(world.a, world.rep_a)
    revision = quote.current_revision
    expected = account_time(revision.sent_at, world.a)
    assert expected.endswith("America/New_York")

    for user in (world.contact_a, world.rep_a, world.deal_desk):
        # When each opens the quote
        text = page_text(login(user).get(reverse("quotes:detail", args=[quote.number])))

        # Then the sent time, the validity and the history are in the account's zone, named
        assert f"Sent {expected} by" in text
        assert f"Valid until {revision.valid_until:%Y-%m-%d}, end of day America/New_York" in text
        assert "When (America/New_York)" in text
        assert " UTC" not in text


def test_the_quote_mail_and_pdf_name_the_accounts_zone(world, django_capture_on_commit_callbacks):
    # When a quote is sent
    with django_capture_on_commit_callbacks(execute=True):
        quote = qb.sent_quote(world.a, world.rep_a)
    revision = QuoteRevision.objects.get(pk=quote.current_revision_id)

    # Then the mail's validity says whose end of day it is
    (message,) = [m for m in mail.outbox if "ready for your review" in m.subject]
    assert f"Valid until {revision.valid_until:%Y-%m-%d}, end of day America/New_York" in (
        message.body
    )
    # And so does the PDF, for the issue date too
    text = pdf_text(revision_pdf(revision))
    assert "(America/New_York)" in text
    assert f"{revision.valid_until:%Y-%m-%d}, end of day America/New_York" in text


# --- units and totals say their period ------------------------------------------------------------


def test_a_unit_says_the_quotes_period_whatever_the_price_book_wrote():
    assert line_unit("seat", "annually") == "seat / year"
    assert line_unit("seat / month", "annually") == "seat / year"
    assert line_unit("seat", "monthly") == "seat / month"
    assert line_unit("package", "one_time") == "package (one-time)"
    assert total_covers("annually") == "per year"
    assert total_covers("monthly") == "per month"
    assert total_covers("one_time") == "one-time"


def test_the_terms_value_is_stated_only_when_it_spans_several_periods():
    assert (
        term_value(Decimal("100.00"), frequency="annually", term_months=12, currency="USD") is None
    )
    three_years = term_value(
        Decimal("100.00"), frequency="annually", term_months=36, currency="USD"
    )
    assert three_years is not None and three_years.amount == Decimal("300.00")
    # 13 months of a yearly 100.00 is rounded once: 108.33
    thirteen = term_value(Decimal("100.00"), frequency="annually", term_months=13, currency="USD")
    assert thirteen is not None and thirteen.amount == Decimal("108.33")
    assert term_value(Decimal("10"), frequency="one_time", term_months=36, currency="USD") is None


def test_an_annual_quote_reads_seat_per_year_and_says_what_its_totals_cover(world, login):
    # Given an annual quote of 10 seats at 240.00 a year over three years
    seat = qb.product(unit="seat / month")  # as the old price book wrote it
    quote = qb.sent_quote(world.a, world.rep_a, lines=[qb.line(seat)], term_months=36)
    revision = QuoteRevision.objects.get(pk=quote.current_revision_id)

    # When the customer reads the page and the PDF
    text = page_text(login(world.contact_a).get(reverse("quotes:detail", args=[quote.number])))
    pdf = pdf_text(revision_pdf(revision))

    # Then the unit is per year, the total per year and the three years' value is stated
    assert "seat / year" in text and "seat / month" not in text
    assert "Total per year 2,400.00 USD" in text
    assert "Term total (36 months) 7,200.00 USD" in text
    assert "seat / year" in pdf and "seat / month" not in pdf
    assert "Total per year 2,400.00 USD" in pdf
    assert "Term total (36 months) 7,200.00 USD" in pdf


def test_a_monthly_quote_reads_seat_per_month_and_its_twelve_months_value(world, login):
    seat = qb.product()
    quote = qb.draft_quote(
        world.a,
        world.rep_a,
        lines=[qb.line(seat, unit_price="24.00")],
        billing_frequency=BillingFrequency.MONTHLY,
    )

    text = page_text(login(world.rep_a).get(reverse("quotes:detail", args=[quote.number])))

    assert "seat / month" in text
    assert "Total per month 240.00 USD" in text
    assert "Term total (12 months) 2,880.00 USD" in text


# --- one thing to file ----------------------------------------------------------------------------


def _accepted(world):
    quote = qb.sent_quote(world.a, world.rep_a)
    flow_services.quote_accept(quote=quote, actor=world.contact_a, new_po=pb.new_po("PO-7"))
    quote.refresh_from_db()
    return quote


def test_the_page_names_each_downloadable_file_with_its_own_hash(world, login):
    # Given an accepted quote
    quote = _accepted(world)
    client = login(world.contact_a)
    rev = quote.current_revision.number

    # When the contact downloads both files
    stamped = client.get(reverse("quotes:pdf", args=[quote.number, rev]))
    original = client.get(reverse("quotes:pdf_original", args=[quote.number, rev]))
    page = client.get(reverse("quotes:detail", args=[quote.number])).content.decode()

    # Then each file's SHA-256, as `sha256sum` would print it, is on the page next to its name
    stamped_name = f"{quote.number}-rev{rev}.pdf"
    original_name = f"{quote.number}-rev{rev}-as-accepted.pdf"
    assert stamped["Content-Disposition"].endswith(f'filename="{stamped_name}"')
    assert original["Content-Disposition"].endswith(f'filename="{original_name}"')
    stamped_hash = hashlib.sha256(stamped.content).hexdigest()
    original_hash = hashlib.sha256(original.content).hexdigest()
    row = r'<a href="[^"]+">([^<]+\.pdf)</a></td>.*?<code class="hash"[^>]*>([0-9a-f]{64})'
    rows = dict(re.findall(row, page, flags=re.S))
    assert rows == {original_name: original_hash, stamped_name: stamped_hash}
    assert f"sha256sum {original_name}" in page
    # And the acceptance record holds the very file called "as accepted"
    acceptance = Acceptance.objects.get(revision_id=quote.current_revision_id)
    assert acceptance.pdf_sha256 == original_hash
    # And the stamped copy says which file the hash printed on it belongs to
    text = pdf_text(stamped.content)
    assert original_name in text and original_hash in text
    assert "not the file that hash belongs" in text


def test_the_stamped_copy_downloads_the_same_bytes_every_time(world, login):
    quote = _accepted(world)
    client = login(world.rep_a)
    url = reverse("quotes:pdf", args=[quote.number, quote.current_revision.number])
    first, second = client.get(url).content, client.get(url).content

    acceptance = Acceptance.objects.get(revision_id=quote.current_revision_id)
    assert first == second == bytes(acceptance.stamped_pdf)
    assert hashlib.sha256(first).hexdigest() == acceptance.stamped_pdf_sha256


# --- the title ------------------------------------------------------------------------------------


def _edit(client, quote, **changes):
    revision = QuoteRevision.objects.get(pk=quote.current_revision_id)
    lines = list(revision.lines.all())
    data = {
        "title": revision.title,
        "term_months": revision.term_months,
        "billing_frequency": revision.billing_frequency,
        "valid_until": revision.valid_until.isoformat(),
        "terms": revision.terms,
        "notes": revision.notes,
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "5000",
    }
    for i, line in enumerate(lines):
        data.update(
            {
                f"lines-{i}-product": line.product_id,
                f"lines-{i}-quantity": str(line.quantity),
                f"lines-{i}-unit_price": str(line.unit_price),
                f"lines-{i}-discount_percent": str(line.discount_percent),
                f"lines-{i}-description": line.description,
            }
        )
    data.update(changes)
    return client.post(reverse("quotes:edit", args=[quote.number]), data)


def test_the_title_is_edited_while_draft(world, login):
    # Given a draft with a typo in its title
    client = login(world.rep_a)
    draft = qb.draft_quote(world.a, world.rep_a, title="Typo renewl")

    # When the representative corrects the draft's title
    response = _edit(client, draft, title="2027 renewal")

    # Then the quote and its revision say the new title
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "2027 renewal"
    assert QuoteRevision.objects.get(pk=draft.current_revision_id).title == "2027 renewal"


def test_a_new_revisions_title_leaves_the_earlier_revision_its_own(world, login):
    # Given revision 1 "10 seats", withdrawn, re-issued as revision 2
    quote = qb.sent_quote(world.a, world.rep_a, title="2027 renewal, 10 seats")
    flow_services.quote_withdraw(quote=quote, actor=world.rep_a, reason="re-pricing")
    client = login(world.rep_a)
    assert client.post(reverse("quotes:new_revision", args=[quote.number])).status_code == 302

    # When revision 2 is retitled
    quote.refresh_from_db()
    assert _edit(client, quote, title="2027 renewal, 12 seats").status_code == 302

    # Then revision 2 says 12 seats and revision 1 still says what it offered
    rev2 = page_text(client.get(reverse("quotes:revision", args=[quote.number, 2])))
    rev1 = page_text(client.get(reverse("quotes:revision", args=[quote.number, 1])))
    assert "2027 renewal, 12 seats" in rev2
    assert "Changes since revision 1" in rev2
    assert "Title 2027 renewal, 10 seats 2027 renewal, 12 seats" in rev2
    assert "2027 renewal, 10 seats" in rev1 and "12 seats" not in rev1.split("Revisions")[0]
    first = QuoteRevision.objects.get(quote=quote, number=1)
    assert "2027 renewal, 10 seats" in pdf_text(revision_pdf(first))


def test_a_title_cannot_be_emptied(world, login):
    draft = qb.draft_quote(world.a, world.rep_a, title="Renewal")

    response = _edit(login(world.rep_a), draft, title="")

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == "Renewal"


def test_the_purchase_order_page_shows_its_moments_in_the_accounts_zone(world, login):
    # Given a quote accepted against a new PO
    quote = _accepted(world)
    acceptance = Acceptance.objects.get(revision_id=quote.current_revision_id)
    url = reverse("purchase_orders:detail", args=[acceptance.purchase_order_id])

    for user in (world.contact_a, world.rep_a, world.finance):
        # When the contact and the staff open the PO
        text = page_text(login(user).get(url))

        # Then the acceptance's moment is in the account's zone, named
        assert account_time(acceptance.accepted_at, world.a) in text
        assert " UTC" not in text


def test_my_tasks_shows_how_long_a_task_waits_in_its_accounts_zone(world, login):
    # Given a quote waiting for Alpha's billing contact, and one for Beta's (Europe/Berlin)
    world.b.time_zone = "Europe/Berlin"
    world.b.save(update_fields=["time_zone"])
    qb.sent_quote(world.a, world.rep_a)
    qb.sent_quote(world.b, world.rep_b, lines=[qb.line(qb.product(), unit_price="220.00")])

    # When each contact opens My tasks
    alpha = page_text(login(world.contact_a).get(reverse("workflows:inbox")))
    beta = page_text(login(world.contact_b).get(reverse("workflows:inbox")))

    # Then each waiting time is in the task's account's zone, named
    assert "America/New_York" in alpha and "Europe/Berlin" not in alpha
    assert "Europe/Berlin" in beta and "America/New_York" not in beta
    assert "(UTC)" not in alpha
