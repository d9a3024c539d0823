"""``manage.py renew_subscriptions``: renews what is due in each account's time zone, prints its
progress, and creates nothing twice when run again."""

from datetime import date
from io import StringIO

from django.core.management import call_command

from billing_center.models import Invoice, InvoiceKind, InvoiceStatus, Subscription

from .builders import VISA_DECLINES, add_card, add_plan, at


def _run(moment: str) -> str:
    out = StringIO()
    call_command("renew_subscriptions", "--now", moment, stdout=out)
    return out.getvalue()


def test_renews_in_the_accounts_time_zone_once(ss):
    # Given a monthly plan bought on 10 March in Chicago, and an annual one on another account
    add_card(ss.account, ss.contact)
    sub = add_plan(ss.account, ss.contact, quantity=2, now=at(date(2026, 3, 10), ss.account))
    add_card(ss.other, ss.other_contact)
    add_plan(ss.other, ss.other_contact, frequency="annually", now=at(date(2026, 3, 1), ss.other))
    # When the job runs at 04:00 UTC on 10 April: still 9 April (23:00) in Chicago
    output = _run("2026-04-10T04:00:00+00:00")
    # Then nothing is renewed yet
    assert not Invoice.objects.filter(kind=InvoiceKind.RENEWAL).exists()
    assert "0 renewed" in output
    # When it runs at 06:00 UTC (01:00 in Chicago), and again
    first = _run("2026-04-10T06:00:00+00:00")
    second = _run("2026-04-10T07:00:00+00:00")
    # Then the plan was renewed once, paid, and the progress said so
    (invoice,) = Invoice.objects.filter(kind=InvoiceKind.RENEWAL)
    assert invoice.total == 40 and invoice.status == InvoiceStatus.PAID
    assert f"{ss.account.number} plan {sub.pk}: renewed, invoice {invoice.number} (paid)" in first
    assert "Renewals done: 1 renewed, 1 invoices, 0 declined, 0 ended" in first
    assert "Renewals done: 0 renewed, 0 invoices" in second
    assert Subscription.objects.get(pk=sub.pk).period_end == date(2026, 5, 10)


def test_a_declined_card_is_reported_and_the_invoice_stays_due(ss):
    add_card(ss.account, ss.contact)
    add_plan(ss.account, ss.contact, now=at(date(2026, 3, 10), ss.account))
    add_card(ss.account, ss.contact, VISA_DECLINES)
    output = _run("2026-04-10T12:00:00+00:00")
    (invoice,) = Invoice.objects.filter(kind=InvoiceKind.RENEWAL)
    assert invoice.status == InvoiceStatus.DUE
    assert f"invoice {invoice.number} (DECLINED, due)" in output
    assert "1 declined" in output
