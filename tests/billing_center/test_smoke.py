from datetime import date

from billing_center.models import Invoice, InvoiceStatus

from .builders import add_card, add_plan, at


def test_add_plan_charges_first_period(ss):
    add_card(ss.account, ss.contact)
    sub = add_plan(ss.account, ss.contact, now=at(date(2026, 3, 10), ss.account))
    inv = Invoice.objects.get(subscription=sub)
    assert inv.total == 100
    assert inv.status == InvoiceStatus.PAID
    assert sub.period_end == date(2026, 4, 10)
