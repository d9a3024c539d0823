"""The "My tasks" inbox as a declared table (``corp_billing.tables``)."""

from django.urls import reverse

from corp_billing.tables import Column, Table, money


def inbox_table(rows) -> Table:
    """``rows`` are ``selectors.inbox`` rows."""
    quotes = reverse("quotes:list")  # a quote's page is the list's URL + its number

    def quote_url(row) -> str:
        return f"{quotes}{row['quote_number']}/"

    return Table(
        columns=(
            Column("Task", lambda r: r["label"], link=quote_url),
            Column("Quote", lambda r: f"{r['quote_number']} — {r['quote_title']}"),
            Column("Account", lambda r: f"{r['account_number']} {r['account_name']}"),
            Column("Revision", lambda r: r["revision"]),
            Column("Total", lambda r: money(r["total"], r["currency"]), numeric=True),
            Column("Waiting since (UTC)", lambda r: r["created"]),
        ),
        rows=rows,
        empty="Nothing is waiting for you.",
    )
