"""The "My tasks" inbox as a declared table (``corp_billing.tables``)."""

from corp_billing.tables import Column, Table, money
from corp_billing.times import account_time


def inbox_table(rows) -> Table:
    """``rows`` are ``selectors.inbox`` rows, whatever flow each task is of."""
    return Table(
        columns=(
            Column("Task", lambda r: r["label"], link=lambda r: r["link"]),
            Column("About", lambda r: r["subject"]),
            Column("Account", lambda r: r["account"]),
            Column("Amount", lambda r: money(r["amount"], r["currency"]), numeric=True),
            # In each task's account's zone, named: the one time rule of the quote pages.
            Column("Waiting since", lambda r: account_time(r["created"], r["time_zone"])),
        ),
        rows=rows,
        empty="Nothing is waiting for you.",
    )
