"""The staff home's account list as a declared table (``corp_billing.tables``)."""

from django.urls import reverse
from django.utils.html import format_html, format_html_join

from corp_billing.tables import Column, Table

from .models import AccountKind


def _primary(account):
    person = account["primary"]
    if person is None:
        return ""
    return format_html('{} <span class="muted">({})</span>', person.display_name, person.username)


def _representatives(account):
    return format_html_join(
        "", "{}<br>", ((rep.display_name,) for rep in account["representatives"])
    )


def staff_account_table(accounts) -> Table:
    """``accounts`` are ``selectors.staff_account_page`` rows."""
    home = reverse("contacts:home")  # an account's page is home + accounts/<number>/

    return Table(
        columns=(
            Column(
                "Account number",
                lambda a: a["number"],
                link=lambda a: f"{home}accounts/{a['number']}/",
            ),
            Column("Name", lambda a: a["name"]),
            Column("Kind", lambda a: AccountKind(a["kind"]).label),
            Column("Currency", lambda a: a["currency"]),
            Column("Primary billing contact", _primary),
            Column("Representatives", _representatives),
            Column("Billing contacts", lambda a: a["billing_contact_count"], numeric=True),
        ),
        rows=accounts,
        empty="No accounts are assigned to you yet.",
    )
