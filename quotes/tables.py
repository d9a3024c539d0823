"""The quote list as a declared table (``corp_billing.tables``)."""

from django.urls import reverse

from corp_billing.tables import Column, Table, badge, money

from .models import RevisionStatus

# A row's status label by a dict lookup: ``get_status_display`` flattens the choices per row.
_STATUS_LABELS = dict(RevisionStatus.choices)


def _po_number(revision) -> str:
    # Read with the row (``selectors.quote_list_rows``): no query for a row without one.
    return getattr(revision, "po_number", None) or ""


def quote_list_table(rows, *, filtered: bool = False) -> Table:
    """``rows`` are ``(quote, shown revision)`` pairs of ``selectors.quote_list``."""
    quotes = reverse("quotes:list")  # a quote's page is the list's URL + its number

    return Table(
        columns=(
            Column("Quote", lambda r: r[0].number, link=lambda r: f"{quotes}{r[0].number}/"),
            Column("Account", lambda r: f"{r[0].account_number} {r[0].account_name}"),
            Column("Title", lambda r: r[0].title),
            Column("Revision", lambda r: r[1].number),
            Column("Status", lambda r: badge(_STATUS_LABELS.get(r[1].status, r[1].status))),
            Column("Created", lambda r: r[0].created_at.date()),
            Column("Valid until", lambda r: r[1].valid_until),
            Column("PO number", lambda r: _po_number(r[1])),
            Column("Total", lambda r: money(r[1].total, r[1].currency), numeric=True),
        ),
        rows=rows,
        empty="No quotes match these filters." if filtered else "No quotes yet.",
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
