"""Ends sent quote revisions whose validity date has passed and sends expiry reminders.

Meant for cron. Idempotent: each reminder goes out at most once and an expired revision is ended
once, so running it more often (or twice by mistake) changes nothing more.
"""

import argparse
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from quotes import policy
from quotes import services as quote_services
from quotes.models import QuoteRevision
from workflows import services as flow_services


def aware_datetime(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO-8601 date and time, e.g. 2026-12-11T05:00:00+00:00"
        ) from None
    if timezone.is_naive(parsed):
        raise argparse.ArgumentTypeError(f"{value!r} has no time zone: add one, e.g. +00:00 or Z")
    return parsed


class Command(BaseCommand):
    help = (
        "Expires sent quote revisions whose validity date has ended (end of day in the "
        "account's time zone), ending their workflow, and e-mails the 7-day and 1-day expiry "
        "reminders to the billing contacts. Idempotent: safe to run as often as you like. "
        "Run it hourly from cron, e.g. "
        "*/60 * * * * cd /srv/corp_billing && .venv/bin/python manage.py expire_quotes"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            type=aware_datetime,
            default=None,
            help="Act as if it were this moment (ISO-8601 with a time zone, e.g. "
            "2026-12-11T05:00:00+00:00). Default: the current time.",
        )

    def handle(self, *args, now: datetime | None = None, **options):
        now = now or timezone.now()
        revisions = list(
            # Sent, or accepted once and awaiting a second billing contact: still undecided.
            QuoteRevision.objects.filter(status__in=policy.UNDECIDED)
            .select_related("quote__account")
            .order_by("quote__number", "number")
        )
        self.stdout.write(
            f"Checking {len(revisions)} sent revision{'s' if len(revisions) != 1 else ''} "
            f"at {now.isoformat()}…"
        )
        expired = reminded = unchanged = failed = 0
        for revision in revisions:
            label = f"{revision.quote.number} rev {revision.number}"
            try:
                if policy.is_expired(revision, now):
                    if flow_services.quote_expire(quote=revision.quote, now=now):
                        expired += 1
                        self.stdout.write(f"{label}: expired")
                    else:
                        # Someone is acting on it at this moment, or it has no open decision
                        # task: the next run tries again.
                        unchanged += 1
                        self.stdout.write(
                            f"{label}: past its validity date, not expired on this run "
                            "(busy or no open decision); will retry"
                        )
                    continue
                kind = quote_services.revision_remind(revision=revision, now=now)
            except Exception as exc:  # one bad quote must not stop the others
                failed += 1
                self.stderr.write(f"{label}: failed: {exc!r}")
                continue
            if kind:
                reminded += 1
                self.stdout.write(f"{label}: reminder {kind} sent")
            else:
                unchanged += 1
        reminders = f"{reminded} reminder{'s' if reminded != 1 else ''}"
        summary = f"Done: {expired} expired, {reminders} sent, {unchanged} unchanged"
        if failed:
            raise CommandError(f"{summary}, {failed} failed.")
        self.stdout.write(self.style.SUCCESS(f"{summary}."))
