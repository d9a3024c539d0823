"""The export as one step: the chosen registers' rows, read in batches for the person who asks,
written as one workbook. Views and the ``export_finance`` command both call it."""

import datetime
from collections.abc import Callable
from typing import IO

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from contacts.models import User

from . import exports, selectors


def subtitle(
    *,
    user: User,
    register: exports.Register,
    filters: selectors.ExportFilters,
    at: datetime.datetime,
) -> str:
    stamp = at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{filters.describe(register.date_label)} · made {stamp} by {user.username}"


def workbook_write(
    *,
    user: User,
    choice: str,
    filters: selectors.ExportFilters,
    out: IO[bytes] | str,
    at: datetime.datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Writes the workbook of ``choice`` (a register's key, or ``exports.ALL``) to ``out``;
    returns the rows written per register. Only finance may export."""
    if not selectors.may_export(user):
        raise PermissionDenied("Only finance exports the registers.")
    at = at or timezone.now()
    registers = exports.registers_for(choice)
    sheets = (
        (r, selectors.register_rows(user=user, register=r.key, filters=filters)) for r in registers
    )
    return exports.write_workbook(
        out,
        sheets,
        subtitle=lambda r: subtitle(user=user, register=r, filters=filters, at=at),
        progress=progress,
    )
