"""Renewals racing: the job started twice at once (cron overlapping a manual run) renews each
plan once. Each racer is a thread with its own database connection, released by a barrier.

Row locks exist on PostgreSQL only: skipped on SQLite (where the unique renewal constraint is
the guard, tested sequentially in test_services.py)."""

import threading
import traceback
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from billing_center.models import Invoice, InvoiceKind, Subscription
from outbox.models import OutgoingMail
from tests.workflows.test_concurrency import _postgresql_for_row_locks  # noqa: F401

from .builders import add_card, add_plan, at

RACERS = 6


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_renewal_job_run_several_times_at_once_renews_once(ss):
    # Given two plans due for renewal on 10 April
    add_card(ss.account, ss.contact)
    for quantity in (2, 7):
        add_plan(ss.account, ss.contact, quantity=quantity, now=at(date(2026, 3, 10), ss.account))
    barrier = threading.Barrier(RACERS)
    errors: list[str] = []

    def run():
        try:
            barrier.wait(timeout=30)
            call_command(
                "renew_subscriptions", "--now", "2026-04-10T12:00:00+00:00", stdout=StringIO()
            )
        except Exception:
            errors.append(traceback.format_exc())
        finally:
            connection.close()

    # When the job is started six times at the same instant
    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # Then nothing failed, and each plan was renewed, invoiced and mailed once
    assert errors == []
    renewals = Invoice.objects.filter(kind=InvoiceKind.RENEWAL)
    assert sorted(renewals.values_list("total", flat=True)) == [40, 140]
    assert set(Subscription.objects.values_list("period_end", flat=True)) == {date(2026, 5, 10)}
    for invoice in renewals:
        assert OutgoingMail.objects.filter(subject__contains=invoice.number).count() == 1
