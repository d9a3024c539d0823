"""Races on one purchase order, through the real views, each racer a thread with its own client
and database connection (see tests/workflows/test_concurrency.py). PostgreSQL only: SQLite has
no row locks (these tests are skipped there, and fail in CI's PostgreSQL run if they would not
execute).

* Two change orders of one PO approved at the same instant: one is applied, the other is a
  conflict for its proposer; the PO is at version 2 with the applied change's values.
* Twenty quotes accepted at the same instant, all drawing on one PO that covers five of them:
  exactly five are accepted, fifteen are refused with a message, the PO is never overrun.
"""

import threading
import traceback
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from purchase_orders.models import ChangeStatus, PurchaseOrder, PurchaseOrderChange
from purchase_orders.services import drawn
from quotes.models import Acceptance, RevisionStatus
from tests import factories
from tests import po_builders as pb
from tests import quote_builders as qb
from tests.workflows.test_concurrency import (  # noqa: F401  (fixtures)
    THREADED,
    Outcome,
    _postgresql_for_row_locks,
    approval_rules,
)
from workflows import services as flow_services

BACKEND = "contacts.backends.LoginIdBackend"


def race_each(requests: list[tuple[object, str, dict]]) -> list[Outcome]:
    """Each (user, url, data) is POSTed from its own thread at the same instant."""
    barrier = threading.Barrier(len(requests))
    outcomes: list[Outcome | None] = [None] * len(requests)

    def run(index, user, url, data):
        try:
            client = Client()
            client.force_login(user, backend=BACKEND)
            barrier.wait(timeout=30)
            response = client.post(url, data)
            outcomes[index] = Outcome(
                user, response.status_code, response.content.decode(), response.get("Location")
            )
        except Exception:
            outcomes[index] = Outcome(user, 500, traceback.format_exc(), None)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, *request), name=f"racer-{i}")
        for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return [outcome for outcome in outcomes if outcome is not None]


def _propose(po, contact, amount):
    return flow_services.po_change_propose(
        purchase_order=po,
        actor=contact,
        base_version=1,
        number=po.number,
        amount=Decimal(amount),
        valid_from=po.valid_from,
        valid_to=po.valid_to,
        reason=f"to {amount}",
    )


@pytest.mark.postgres_only
@THREADED
def test_two_changes_of_one_po_approved_at_once_apply_one_and_conflict_the_other(world):
    # Given a PO at version 1 and two changes proposed against it
    po = pb.purchase_order(world.a, world.contact_a, "PO-RACE", "10000")
    first = _propose(po, world.contact_a, "12000")
    second = _propose(po, world.contact_a2, "15000")

    # When the representative and finance approve one each at the same instant
    outcomes = race_each(
        [
            (
                world.rep_a,
                reverse("workflows:po_change_review", args=[first.pk]),
                {"decision": "approve"},
            ),
            (
                world.finance,
                reverse("workflows:po_change_review", args=[second.pk]),
                {"decision": "approve"},
            ),
        ]
    )

    # Then both got an answer (no 500), one change is applied and the other is a conflict
    assert [o.status for o in outcomes] == [302, 302], [o.body[:2000] for o in outcomes]
    statuses = Counter(
        PurchaseOrderChange.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {ChangeStatus.APPROVED: 1, ChangeStatus.CONFLICTED: 1}
    applied = PurchaseOrderChange.objects.get(status=ChangeStatus.APPROVED)
    # And the PO is consistent: version 2, with exactly the applied change's values
    po = PurchaseOrder.objects.get(pk=po.pk)
    assert (po.version, po.amount) == (2, applied.amount)
    conflicted = PurchaseOrderChange.objects.get(status=ChangeStatus.CONFLICTED)
    assert conflicted.base_version == 1 and conflicted.decided_at is None


@pytest.mark.postgres_only
@THREADED
def test_twenty_acceptances_drawing_on_one_po_never_overrun_it(world, approval_rules):
    # Given 20 sent quotes of 2,400.00 USD and a PO of 12,000.00 USD (five of them)
    po = pb.purchase_order(world.a, world.contact_a, "PO-DRAW", "12000")
    quotes = [qb.sent_quote(world.a, world.rep_a) for _ in range(20)]
    contacts = [factories.billing_contact(world.a) for _ in range(20)]

    # When 20 billing contacts each accept one of them on that PO at the same instant
    outcomes = race_each(
        [
            (
                contact,
                reverse("workflows:quote_decide", args=[quote.number]),
                {"decision": "accept", "purchase_order": str(po.pk)},
            )
            for contact, quote in zip(contacts, quotes, strict=True)
        ]
    )

    # Then nobody got a server error: five were accepted (302 to the quote), the other 15 were
    # shown their quote again with the refusal at the PO field (400), and exactly five quotes
    # were accepted on the PO
    assert sorted(o.status for o in outcomes) == [302] * 5 + [400] * 15, [
        o.body[:2000] for o in outcomes if o.status not in (302, 400)
    ]
    assert all("left, less" in o.body for o in outcomes if o.status == 400)
    assert Acceptance.objects.filter(purchase_order=po).count() == 5
    assert drawn(po) == Decimal("12000.00")
    accepted = sum(
        1 for quote in quotes if quote.revisions.get(number=1).status == RevisionStatus.ACCEPTED
    )
    assert accepted == 5
