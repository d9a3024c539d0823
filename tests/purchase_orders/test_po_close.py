"""Closing a purchase order: a billing contact of its account says they are done with it; no
quote can be charged to it afterwards, what was drawn stays drawn, and the representative is
told. Driven through the pages as the contact uses them."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from purchase_orders.models import POStatus, PurchaseOrder
from purchase_orders.services import drawn
from quotes.models import Acceptance, RevisionStatus
from tests import po_builders as pb
from tests import quote_builders as qb
from tests.page_errors import form_refusals
from tests.security.snapshot import db_snapshot

from .test_po_flow import (
    PO_PART,
    accept_on,
    alerts,
    as_user,  # noqa: F401  (fixture)
    deliver,  # noqa: F401  (fixture)
    po,  # noqa: F401  (fixture)
    propose,
)


def close(client, po, reason="Our purchasing cancelled it"):
    return client.post(
        reverse("purchase_orders:close", args=[po.pk]), {"close-reason": reason}, follow=True
    )


def test_a_closed_po_takes_no_more_quotes_and_keeps_what_was_drawn(world, po, as_user, deliver):
    contact = as_user(world.contact_a)
    # Given a PO that an accepted quote drew 2,400.00 on
    accept_on(contact, qb.sent_quote(world.a, world.rep_a), po)
    assert drawn(po) == Decimal("2400")
    page = contact.get(reverse("purchase_orders:detail", args=[po.pk])).content.decode()
    assert "Close this purchase order" in page

    # When the billing contact closes it, saying why
    mail.outbox.clear()
    with deliver():
        response = close(contact, po)

    # Then it is closed, at a new version, and what was drawn stays drawn
    assert (
        "success",
        "Purchase order PO-100 is closed: no quote can be charged to it any more. Your "
        "representative has been told.",
    ) in alerts(response)
    po.refresh_from_db()
    assert (po.status, po.version) == (POStatus.CLOSED, 2)
    assert drawn(po) == Decimal("2400")
    assert "Close this purchase order" not in response.content.decode()
    # And the audit log keeps who closed it and why
    event = AuditEvent.objects.get(action=AuditAction.PO_CLOSED)
    assert (event.actor, event.message) == (world.contact_a, "Our purchasing cancelled it")
    assert (event.before["status"], event.after["status"]) == ("active", "closed")
    # And the representative and the other billing contact are told; the closer is not
    told = {address for m in mail.outbox for address in m.to}
    assert told == {world.rep_a.email, world.contact_a2.email}
    assert all("PO-100 was closed" in m.subject for m in mail.outbox)
    assert "Our purchasing cancelled it" in mail.outbox[0].body

    # When a quote is then accepted on it, it is refused and nothing is saved
    quote = qb.sent_quote(world.a, world.rep_a)
    before = db_snapshot()
    page = accept_on(contact, quote, po)
    (refusal,) = form_refusals(page, within=PO_PART)
    assert "Purchase order PO-100 is closed: choose another one or enter a new one." in refusal
    assert db_snapshot() == before
    quote.current_revision.refresh_from_db()
    assert quote.current_revision.status == RevisionStatus.SENT
    assert Acceptance.objects.count() == 1

    # And a closed PO can be neither closed again nor changed
    again = close(contact, po)
    assert ("error", "Purchase order PO-100 is closed; nothing was changed.") in alerts(again)
    changed = propose(contact, po)
    assert changed.status_code == 409
    assert "Purchase order PO-100 is closed; nothing was changed." in changed.content.decode()
    assert PurchaseOrder.objects.get(pk=po.pk).version == 2


def test_a_po_with_a_change_waiting_is_not_closed(world, po, as_user):
    contact = as_user(world.contact_a)
    propose(contact, po)
    # The page offers no close while the change waits, and says why
    page = contact.get(reverse("purchase_orders:detail", args=[po.pk])).content.decode()
    assert "Close this purchase order" not in page
    assert "can be closed once its open change is decided or withdrawn" in page
    # and a close posted anyway is refused with nothing changed
    before = db_snapshot()
    response = close(contact, po)
    assert (
        "error",
        "A change of purchase order PO-100 is waiting: withdraw it, or wait for its review, "
        "before closing the purchase order. Nothing was changed.",
    ) in alerts(response)
    assert db_snapshot() == before


def test_a_reason_is_needed(world, po, as_user):
    contact = as_user(world.contact_a)
    before = db_snapshot()
    response = close(contact, po, reason="  ")
    assert ("error", "This field is required.") in alerts(response)
    assert db_snapshot() == before


def test_an_expired_po_can_be_closed(world, as_user):
    from django.utils import timezone

    today = timezone.localdate()
    old = pb.purchase_order(
        world.a,
        world.contact_a,
        "PO-OLD",
        "500",
        valid_from=today.replace(year=today.year - 2),
        valid_to=today.replace(year=today.year - 1),
    )
    close(as_user(world.contact_a), old)
    old.refresh_from_db()
    assert old.status == POStatus.CLOSED


@pytest.mark.parametrize("who", ["rep_a", "finance", "member_a", "contact_b", "deal_desk"])
def test_only_the_accounts_billing_contacts_close_it(world, po, as_user, who):
    client = as_user(getattr(world, who))
    before = db_snapshot()
    response = client.post(reverse("purchase_orders:close", args=[po.pk]), {"reason": "No"})
    assert response.status_code == 404
    assert db_snapshot() == before


def test_a_closed_po_no_longer_warns_that_it_is_nearly_used(world, as_user):
    # Given a PO of 2,500.00 that a 2,400.00 quote used 96 % of: the page warns
    contact = as_user(world.contact_a)
    small = pb.purchase_order(world.a, world.contact_a, "PO-SMALL", "2500")
    accept_on(contact, qb.sent_quote(world.a, world.rep_a), small)
    url = reverse("purchase_orders:detail", args=[small.pk])
    assert "Over 90 % of this purchase order is used" in contact.get(url).content.decode()
    # When it is closed, nothing can be charged to it: there is nothing left to warn about
    close(contact, small)
    assert "Over 90 %" not in contact.get(url).content.decode()
