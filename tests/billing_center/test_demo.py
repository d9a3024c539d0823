"""The demo data of the README's self-service account (issue 12)."""

from io import StringIO

from django.core.management import call_command

from billing_center.models import Invoice, InvoiceStatus, PaymentMethod, Subscription
from contacts.models import Account


def test_the_demo_account_shows_every_feature_and_loads_once(db):
    call_command("seed_demo", stdout=StringIO())
    account = Account.objects.get(number="OV-2000101")
    plans = Subscription.objects.filter(account=account)
    # Two plans, one monthly and one annual, one with a change pending
    assert sorted(plans.values_list("billing_frequency", flat=True)) == ["annually", "monthly"]
    assert [p.has_pending_change for p in plans.order_by("billing_frequency")] == [False, True]
    # Twelve months of history: paid and due invoices
    invoices = Invoice.objects.filter(account=account)
    assert invoices.filter(kind="renewal").count() == 12
    assert invoices.filter(kind="proration").count() == 1
    assert invoices.filter(status=InvoiceStatus.DUE).count() == 1
    assert invoices.filter(status=InvoiceStatus.PAID).count() == invoices.count() - 1
    # A card on file
    assert list(
        PaymentMethod.objects.filter(account=account).values_list("last4", "is_default")
    ) == [("4242", True)]
    # And a second run creates nothing
    count = invoices.count()
    call_command("seed_demo", stdout=StringIO())
    assert Invoice.objects.filter(account=account).count() == count
