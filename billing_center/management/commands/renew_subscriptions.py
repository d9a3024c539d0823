"""Renews every Billing Center plan whose renewal date has come, in the account's time zone.

Meant for cron, e.g. hourly::

    0 * * * * cd /srv/corp_billing && .venv/bin/python manage.py renew_subscriptions

Idempotent: a plan is renewed once per period (its period moves on, and a unique constraint
holds one renewal invoice per plan and period), so running it again, or twice at once, creates
nothing twice. A plan whose renewals were missed (the job did not run for a while) gets one
invoice for each period it missed, in order.
"""

import argparse
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from billing_center import pricing, services
from billing_center.models import Subscription, SubscriptionStatus


def aware_datetime(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO-8601 date and time, e.g. 2026-12-01T06:00:00+00:00"
        ) from None
    if timezone.is_naive(parsed):
        raise argparse.ArgumentTypeError(f"{value!r} has no time zone: add one, e.g. +00:00 or Z")
    return parsed


class Command(BaseCommand):
    help = (
        "Renews Billing Center plans due for renewal: invoices each new period, applies a change "
        "waiting for that renewal, charges the default card (a declined charge leaves the "
        "invoice due and e-mails the billing contacts) and ends plans set to cancel. Idempotent; "
        "run it hourly from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            type=aware_datetime,
            default=None,
            help="Act as if it were this moment (ISO-8601 with a time zone). Default: now.",
        )

    def handle(self, *args, now: datetime | None = None, **options):
        now = now or timezone.now()
        # Every time zone's date is within a day of UTC's: candidates are read by that bound and
        # each is then checked against its own account's local date.
        horizon = now.astimezone(UTC).date() + timedelta(days=1)
        due = (
            Subscription.objects.filter(
                status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.CANCELS_AT_PERIOD_END],
                period_end__lte=horizon,
            )
            .select_related("account")
            .order_by("period_end", "id")
        )
        counts = {"renewed": 0, "invoices": 0, "declined": 0, "ended": 0, "not yet": 0}
        for sub in due.iterator(chunk_size=500):
            today = pricing.local_today(sub.account, now)
            outcome = services.subscription_renew(subscription=sub, today=today)
            label = f"{sub.account.number} plan {sub.pk}"
            if outcome.ended:
                counts["ended"] += 1
                self.stdout.write(f"  {label}: ended at the end of its term")
            elif outcome.invoices:
                counts["renewed"] += 1
                counts["invoices"] += len(outcome.invoices)
                counts["declined"] += len(outcome.declined)
                for number in outcome.invoices:
                    state = "DECLINED, due" if number in outcome.declined else "paid"
                    self.stdout.write(f"  {label}: renewed, invoice {number} ({state})")
            else:
                counts["not yet"] += 1
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Renewals done: {summary}."))
