"""The billing history as a declared table (``corp_billing.tables``)."""

from collections.abc import Iterable
from datetime import timedelta

from django.urls import reverse

from contacts.models import Account
from corp_billing.tables import Column, Table, badge, money

from .models import Invoice


def invoice_table(account: Account, rows: Iterable[Invoice]) -> Table:
    base = reverse("billing_center:invoices", kwargs={"number": account.number})

    return Table(
        columns=(
            Column("Invoice", lambda i: i.number, link=lambda i: f"{base}{i.number}/"),
            Column("Issued", lambda i: i.issued_on),
            Column("For", lambda i: i.get_kind_display()),
            Column(
                "Period",
                lambda i: (
                    f"{i.period_start:%Y-%m-%d} – {i.period_end - timedelta(days=1):%Y-%m-%d}"
                ),
            ),
            Column("Total", lambda i: money(i.total, i.currency), numeric=True),
            Column("Status", lambda i: badge(i.get_status_display())),
            Column("PDF", lambda i: "Print / PDF", link=lambda i: f"{base}{i.number}/pdf/"),
        ),
        rows=rows,
        empty="No invoices yet.",
    )
