"""What the dashboard says: exact figures for known data, each chart with its numbers as a table
and links to the list behind it, and the lists showing what the chart counted."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from finance import selectors
from quotes.models import Quote, QuoteRevision
from tests import po_builders as pb
from tests import quote_builders as qb
from workflows import services as flow_services


def quote(account, rep, status, *, total="100.00", hours=None, sent_days_ago=None, valid=30):
    """A quote whose current revision is in ``status``; ``hours``: submitted → approved and sent
    → decided; ``sent_days_ago``: when it was sent."""
    now = timezone.now()
    made = Quote.objects.create(
        number=f"Q-2096-{Quote.objects.count() + 1:08d}",
        account=account,
        title=f"{status} quote",
        created_by=rep,
        idempotency_key=uuid.uuid4(),
    )
    sent = now - timedelta(days=sent_days_ago if sent_days_ago is not None else 1)
    decided = status not in ("draft", "pending_approval", "sent")
    revision = QuoteRevision.objects.create(
        quote=made,
        number=1,
        status=status,
        currency=account.currency,
        valid_until=now.date() + timedelta(days=valid),
        total=Decimal(total),
        subtotal=Decimal(total),
        created_by=rep,
        submitted_at=sent - timedelta(hours=hours) if hours else None,
        approved_at=sent if hours else None,
        sent_at=sent if status != "draft" else None,
        decided_at=sent + timedelta(hours=hours or 1) if decided else None,
    )
    made.current_revision = revision
    made.save(update_fields=["current_revision"])
    return made


@pytest.fixture
def figures_world(world):
    a, b = world.a, world.b
    for status, total in (
        ("sent", "1000.50"),
        ("sent", "250.25"),
        ("accepted", "4000.00"),
        ("rejected", "99.99"),
        ("draft", "10.00"),
    ):
        quote(a, world.rep_a, status, total=total)
    quote(b, world.rep_b, "accepted", total="777.00")  # EUR
    return world


def test_pipeline_by_status_sums_current_revisions_in_the_chosen_currency(figures_world):
    figures = selectors.dashboard(user=figures_world.finance, currency="USD")
    assert figures.currency == "USD"
    assert figures.currencies == ["USD", "EUR"]
    assert [(s, n, v) for s, _label, n, v in figures.by_status] == [
        ("draft", 1, Decimal("10.00")),
        ("sent", 2, Decimal("1250.75")),
        ("accepted", 1, Decimal("4000.00")),
        ("rejected", 1, Decimal("99.99")),
    ]
    euros = selectors.dashboard(user=figures_world.finance, currency="EUR")
    assert [(s, n, v) for s, _l, n, v in euros.by_status] == [("accepted", 1, Decimal("777.00"))]


def test_pipeline_by_month_groups_open_won_and_lost(figures_world):
    figures = selectors.dashboard(user=figures_world.finance, currency="USD")
    assert len(figures.by_month) == 12
    month, values = figures.by_month[-1]
    assert month == timezone.localdate().replace(day=1)
    assert values == {
        "open": Decimal("1260.75"),
        "won": Decimal("4000.00"),
        "lost": Decimal("99.99"),
    }
    assert all(sum(v.values()) == 0 for _m, v in figures.by_month[:-1])


def test_turnaround_median_and_90th_percentile(world):
    # given ten approvals that took 1 … 10 hours
    for hours in range(1, 11):
        quote(world.a, world.rep_a, "accepted", hours=hours)
    figures = selectors.dashboard(user=world.finance)
    approval, decision = figures.turnaround
    assert approval.count == 10
    assert approval.median == timedelta(hours=5)  # nearest rank: the 5th of 10
    assert approval.p90 == timedelta(hours=9)  # the 9th of 10
    assert decision.count == 10
    assert decision.median == timedelta(hours=5)


def test_acceptance_rate_by_month_sent(world):
    for status in ("accepted", "accepted", "rejected", "expired", "sent"):
        quote(world.a, world.rep_a, status)
    quote(world.a, world.rep_a, "accepted", sent_days_ago=400)  # older than the 12 months
    figures = selectors.dashboard(user=world.finance)
    assert (figures.accepted, figures.decided) == (2, 4)
    assert figures.acceptance_rate == Decimal("50.0")
    assert figures.acceptance[-1][1:] == (2, 4)


def test_expiring_quotes_and_pos_are_counted_by_week(world):
    for days in (0, 3, 9, 30, 31):
        quote(world.a, world.rep_a, "sent", valid=days)
    quote(world.a, world.rep_a, "accepted", valid=5)  # not waiting: not expiring
    today = timezone.localdate()
    pb.purchase_order(
        world.a, world.contact_a, "PO-SOON", "1000", valid_to=today + timedelta(days=20)
    )
    pb.purchase_order(world.a, world.contact_a, "PO-LATER", "1000")
    figures = selectors.dashboard(user=world.finance)
    assert figures.expiring_quotes == [2, 1, 0, 1]
    assert figures.expiring_pos == [0, 0, 1, 0]


def test_po_usage_per_account(world):
    po = pb.purchase_order(world.a, world.contact_a, "PO-USE", "10000")
    accepted = qb.sent_quote(world.a, world.rep_a)  # 10 seats at 240.00
    flow_services.quote_accept(quote=accepted, actor=world.contact_a, purchase_order=po)
    pb.purchase_order(world.a, world.contact_a, "PO-IDLE", "5000")
    figures = selectors.dashboard(user=world.finance, currency="USD")
    assert figures.po_usage == [
        {
            "number": "OV-1000001",
            "name": "Alpha Corp",
            "pos": 2,
            "amount": Decimal("15000.00"),
            "drawn": Decimal("2400.00"),
            "remaining": Decimal("12600.00"),
            "percent": Decimal(16),
        }
    ]


def test_every_chart_has_its_numbers_a_click_away_and_links_to_its_list(figures_world, login):
    client = login(figures_world.finance)
    html = client.get(reverse("finance:dashboard")).content.decode()
    sections = re.findall(r'<section class="card panel" id="([\w-]+)".*?</section>', html, re.S)
    assert sections == ["by-status", "by-month", "expiring", "po-usage", "turnaround", "acceptance"]
    for body in re.findall(r'<section class="card panel".*?</section>', html, re.S):
        assert "<svg" in body and "<details>" in body and "<table" in body
        assert re.search(r'<a href="/finance/dashboard/|<a href="/purchase-orders/', body)
    # the status chart's bar and row for "Sent" both link to the sent quotes in USD
    assert html.count('href="/finance/dashboard/quotes/?status=sent&amp;currency=USD"') == 2
    assert "1,250.75 USD" in html
    # no inline style or script (the Content-Security-Policy allows none; the site's own
    # script files, by src, are allowed)
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_the_list_behind_the_status_chart_holds_exactly_what_it_counted(figures_world, login):
    client = login(figures_world.finance)
    response = client.get(reverse("finance:quotes"), {"status": "sent", "currency": "USD"})
    html = response.content.decode()
    assert html.count("sent quote") == 2
    assert "1,000.50 USD" in html and "250.25 USD" in html
    assert "status Sent, in USD" in html


def test_the_list_behind_the_month_chart(figures_world, login):
    client = login(figures_world.finance)
    month = f"{timezone.localdate():%Y-%m}"
    html = client.get(
        reverse("finance:quotes"), {"month": month, "group": "lost", "currency": "USD"}
    ).content.decode()
    assert "99.99 USD" in html and "4,000.00 USD" not in html


def test_a_bad_list_filter_is_a_404_not_an_error(world, login):
    client = login(world.finance)
    assert client.get(reverse("finance:quotes"), {"month": "2026-13"}).status_code == 404
    assert client.get(reverse("finance:quotes"), {"status": "nope"}).status_code == 404


def test_the_menu_offers_the_dashboard_to_staff_and_the_exports_to_finance(world, login):
    html = login(world.finance).get(reverse("finance:dashboard")).content.decode()
    assert 'href="/finance/dashboard/">Dashboard' in html
    assert 'href="/finance/exports/">Exports' in html
    html = login(world.rep_a).get(reverse("finance:dashboard")).content.decode()
    assert 'href="/finance/dashboard/">Dashboard' in html
    assert "/finance/exports/" not in html
    html = login(world.contact_a).get(reverse("quotes:list")).content.decode()
    assert "/finance/" not in html
