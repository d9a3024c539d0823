"""The one time rule: a moment shown about an account is shown in the account's time zone, with
the zone named, on every page (customer's and staff's alike), e-mail and PDF.

Stored times stay UTC; only their display goes through here (``account_time`` and
``account_date``, and the ``times`` template filters built on them).
"""

import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_name(account_or_zone: Any) -> str:
    """The zone of an account (anything with ``time_zone``) or a zone name itself."""
    name = getattr(account_or_zone, "time_zone", account_or_zone)
    return str(name or "UTC")


def _zone(account_or_zone: Any) -> ZoneInfo:
    try:
        return ZoneInfo(zone_name(account_or_zone))
    except (ZoneInfoNotFoundError, ValueError):
        # Validated on entry; an unknown zone would be a data error, shown as UTC, not a 500.
        return ZoneInfo("UTC")


def local_time(value: datetime.datetime, account_or_zone: Any) -> datetime.datetime:
    return value.astimezone(_zone(account_or_zone))


def account_time(value: datetime.datetime | None, account_or_zone: Any) -> str:
    """``2026-11-28 08:05 America/New_York``: the moment in the account's zone, zone named."""
    if value is None:
        return ""
    zone = _zone(account_or_zone)
    return f"{value.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


def account_date(value: datetime.date | datetime.datetime | None, account_or_zone: Any) -> str:
    """``2026-11-28 (America/New_York)``: a day as the account lives it. A datetime is first
    moved into the zone, so a late-evening event is not shown on the next day."""
    if value is None:
        return ""
    zone = _zone(account_or_zone)
    if isinstance(value, datetime.datetime):
        value = value.astimezone(zone).date()
    return f"{value:%Y-%m-%d} ({zone.key})"


def end_of_day(value: datetime.date | None, account_or_zone: Any) -> str:
    """A validity date, which ends at midnight in the account's zone."""
    if value is None:
        return ""
    return f"{value:%Y-%m-%d}, end of day {_zone(account_or_zone).key}"


def today_in(account_or_zone: Any, now: datetime.datetime | None = None) -> datetime.date:
    """The account's calendar day now: validity dates are checked against it."""
    from django.utils import timezone

    return (now or timezone.now()).astimezone(_zone(account_or_zone)).date()
