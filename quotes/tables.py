"""The quote list as a declared table (``corp_billing.tables``)."""

from django.urls import reverse

from corp_billing.tables import Column, Table, badge, money


def quote_list_table(rows) -> Table:
    """``rows`` are ``(quote, shown revision)`` pairs of ``selectors.quote_list``."""
    quotes = reverse("quotes:list")  # a quote's page is the list's URL + its number

    return Table(
        columns=(
            Column("Quote", lambda r: r[0].number, link=lambda r: f"{quotes}{r[0].number}/"),
            Column("Account", lambda r: f"{r[0].account.number} {r[0].account.name}"),
            Column("Title", lambda r: r[0].title),
            Column("Revision", lambda r: r[1].number),
            Column("Status", lambda r: badge(r[1].get_status_display())),
            Column("Valid until", lambda r: r[1].valid_until),
            Column("Total", lambda r: money(r[1].total, r[1].currency), numeric=True),
        ),
        rows=rows,
        empty="No quotes yet.",
    )


def draftable_account_table(accounts) -> Table:
    """The accounts a representative may start a quote for (``selectors.draftable_accounts``)."""
    return Table(
        columns=(
            Column("Account", lambda a: a.number),
            Column("Name", lambda a: a.name),
            Column("Currency", lambda a: a.currency),
            Column("Time zone", lambda a: a.time_zone),
            Column(
                "",
                lambda a: "Start a quote",
                link=lambda a: reverse("quotes:create", args=[a.number]),
            ),
        ),
        rows=accounts,
        empty="No account of yours matches.",
    )
