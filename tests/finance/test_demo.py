"""The demo gives finance a year of quotes to look at, and seeding twice changes nothing."""

from django.core.management import call_command
from django.utils import timezone

from contacts.models import User
from finance import panels, selectors
from quotes.models import Quote


def test_seed_demo_fills_every_chart_with_twelve_months_of_quotes(db):
    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    frank = User.objects.get(username="finance.frank")
    figures = selectors.dashboard(user=frank, currency="USD")
    # every month of the last twelve has pipeline value, and every kind of outcome is there
    assert all(sum(values.values()) > 0 for _month, values in figures.by_month)
    statuses = {status for status, *_ in figures.by_status}
    assert {"draft", "pending_approval", "sent", "accepted", "rejected", "expired"} <= statuses
    assert sum(figures.expiring_quotes) > 0 and sum(figures.expiring_pos) > 0
    assert figures.po_usage and figures.po_usage[0]["drawn"] > 0
    approval, decision = figures.turnaround
    assert approval.count > 0 and decision.count > 0
    assert figures.acceptance_rate is not None
    assert len(panels.build(figures)) == 6
    oldest = Quote.objects.order_by("created_at").first()
    assert (timezone.now() - oldest.created_at).days > 300

    # Running it again creates nothing more
    count = Quote.objects.count()
    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Quote.objects.count() == count
