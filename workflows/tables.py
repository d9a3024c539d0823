"""The "My tasks" inbox as a declared table (``corp_billing.tables``)."""

from corp_billing.tables import Column, Table, money


def inbox_table(rows) -> Table:
    """``rows`` are ``selectors.inbox`` rows, whatever flow each task is of."""
    return Table(
        columns=(
            Column("Task", lambda r: r["label"], link=lambda r: r["link"]),
            Column("About", lambda r: r["subject"]),
            Column("Account", lambda r: r["account"]),
            Column("Amount", lambda r: money(r["amount"], r["currency"]), numeric=True),
            Column("Waiting since (UTC)", lambda r: r["created"]),
        ),
        rows=rows,
        empty="Nothing is waiting for you.",
    )
