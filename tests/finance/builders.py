"""Finance test data: a few rows of every register through the real services, and many quotes
in bulk for the query-count tests."""

import io
import re
import uuid
from datetime import timedelta
from decimal import Decimal

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from quotes.models import Quote, QuoteLine, QuoteRevision, RevisionStatus
from quotes.policy import Action
from tests import po_builders as pb
from tests import quote_builders as qb
from tests.billing_center import builders as bb
from workflows import services as flow_services


def registers(world):
    """Account A (USD): an accepted quote on a new PO with a 7 % discount line, a sent quote, a
    PO change; account B (EUR): a rejected quote. A self-service account with a plan and its
    invoice."""
    item = qb.product()
    addon = qb.product(sku="OV-ADDON", name="Recording add-on", USD_annually="19.99")
    accepted = qb.sent_quote(
        world.a,
        world.rep_a,
        lines=[
            qb.line(item, quantity="12", unit_price="240.00", discount="7"),
            qb.line(addon, quantity="3.5", unit_price="19.99"),
        ],
    )
    flow_services.quote_accept(
        quote=accepted, actor=world.contact_a, new_po=pb.new_po("PO-A-1", "50000")
    )
    sent = qb.sent_quote(world.a, world.rep_a, title="Sent and waiting")
    rejected = qb.sent_quote(world.b, world.rep_b, lines=[qb.line(item, unit_price="220.00")])
    flow_services.quote_decline(
        quote=rejected, actor=world.contact_b, action=Action.REJECT, comment="Too dear"
    )
    po = accepted.current_revision.acceptance.purchase_order
    change = flow_services.po_change_propose(
        purchase_order=po,
        actor=world.contact_a,
        base_version=po.version,
        number=po.number,
        amount=Decimal("60000"),
        valid_from=po.valid_from,
        valid_to=po.valid_to,
        reason="Budget raised",
    )
    flow_services.po_change_approve(change=change, actor=world.rep_a, comment="Fine")
    return {"accepted": accepted, "sent": sent, "rejected": rejected, "po": po}


def self_service_invoice(account, contact):
    bb.make_self_service(account)
    bb.add_card(account, contact)
    return bb.add_plan(account, contact, quantity=3)


def bulk_quotes(account, rep, count: int, start: int, *, lines: int = 2) -> None:
    """``count`` sent quotes with ``lines`` lines each, written in bulk."""
    now = timezone.now()
    item = qb.product()
    quotes = Quote.objects.bulk_create(
        [
            Quote(
                number=f"Q-2097-{start + i:08d}",
                account=account,
                title=f"Bulk quote {start + i}",
                created_by=rep,
                idempotency_key=uuid.uuid4(),
            )
            for i in range(count)
        ]
    )
    revisions = QuoteRevision.objects.bulk_create(
        [
            QuoteRevision(
                quote=quote,
                number=1,
                status=RevisionStatus.SENT,
                currency=account.currency,
                valid_until=now.date() + timedelta(days=10),
                subtotal=Decimal("1000.00"),
                discount_total=Decimal("100.00"),
                total=Decimal("900.00"),
                created_by=rep,
                submitted_by=rep,
                submitted_at=now - timedelta(hours=3),
                approved_by=rep,
                approved_at=now - timedelta(hours=1),
                sent_by=rep,
                sent_at=now,
            )
            for quote in quotes
        ]
    )
    for quote, revision in zip(quotes, revisions, strict=True):
        quote.current_revision = revision
    Quote.objects.bulk_update(quotes, ["current_revision"], batch_size=500)
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                revision=revision,
                position=n + 1,
                product=item,
                sku=item.sku,
                name=item.name,
                unit=item.unit,
                quantity=Decimal(1),
                unit_price=Decimal("500.00"),
                discount_percent=Decimal(10),
                gross_amount=Decimal("500.00"),
                discount_amount=Decimal("50.00"),
                net_amount=Decimal("450.00"),
            )
            for revision in revisions
            for n in range(lines)
        ]
    )


def export_through_the_pages(client, user, **params):
    """An export as finance makes one: the form posted, its job run once the request commits
    (in-process, as in development), the export's page showing it ready, the file downloaded
    from that page's link. A refused request's response is returned as it is (404, or 400 with
    the form again)."""
    client.force_login(user, backend="contacts.backends.LoginIdBackend")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("finance:exports"), params)
    if response.status_code != 302:
        return response
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ready" in html, html
    link = re.search(r'<a href="([^"]+)" id="export-download">', html)
    assert link is not None, html
    return client.get(link[1])


def workbook_of(response):
    data = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(data))


def rows_of(sheet) -> list[dict]:
    """The data rows of a sheet as dicts by header, with the cells (not only values)."""
    header = [cell.value for cell in sheet[2]]
    return [
        dict(zip(header, row, strict=False)) for row in sheet.iter_rows(min_row=3) if row[0].value
    ]
