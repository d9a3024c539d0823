"""Builds quotes in a given state through the real services and workflow (no shortcuts), for
tests. Each builder returns the Quote, refreshed."""

import importlib
import uuid
from decimal import Decimal

from django.utils import timezone

from quotes import services as quote_services
from quotes.models import ApprovalRule, BillingFrequency, Price, Product
from quotes.services import LineInput
from workflows import services as flow_services


def ensure_default_rules() -> None:
    """The default rules of migrations 0002 (deal desk) and 0007 (finance). A transactional test
    flushes every table, migration data included, so tests that depend on the rules put them
    back first."""
    defaults = importlib.import_module("quotes.migrations.0002_default_approval_rules").DEFAULTS
    for name, kind, threshold in defaults:
        ApprovalRule.objects.get_or_create(kind=kind, threshold=threshold, defaults={"name": name})
    finance = importlib.import_module("quotes.migrations.0007_finance_tier_rules").DEFAULTS
    for name, kind, threshold, tier in finance:
        ApprovalRule.objects.get_or_create(
            kind=kind, threshold=threshold, tier=tier, defaults={"name": name}
        )


def product(sku="OV-SEAT-STD", name="OpenVoice Standard seat", unit="seat / month", **prices):
    """``product(USD_annually="240.00", JPY_annually="26000")``: list prices by currency and
    frequency."""
    item, _ = Product.objects.get_or_create(sku=sku, defaults={"name": name, "unit": unit})
    if not prices:
        prices = {"USD_annually": "240.00", "EUR_annually": "220.00", "USD_monthly": "24.00"}
    for key, amount in prices.items():
        currency, frequency = key.split("_", 1)
        Price.objects.update_or_create(
            product=item,
            currency=currency,
            billing_frequency=frequency,
            defaults={"list_price": Decimal(amount)},
        )
    return item


def line(item, quantity="10", unit_price="240.00", discount="0", description=""):
    return LineInput(
        product=item,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        discount_percent=Decimal(discount),
        description=description,
    )


def draft_quote(account, rep, lines=None, *, title="Renewal", valid_days=30, **header):
    ensure_default_rules()
    quote = quote_services.quote_create(
        account=account, actor=rep, title=title, idempotency_key=uuid.uuid4()
    )
    if lines is None:
        lines = [line(product())]
    quote_services.revision_update(
        revision=quote.current_revision,
        actor=rep,
        term_months=header.get("term_months", 12),
        billing_frequency=header.get("billing_frequency", BillingFrequency.ANNUALLY),
        valid_until=header.get(
            "valid_until", timezone.localdate() + timezone.timedelta(days=valid_days)
        ),
        terms=header.get("terms", "Net 30"),
        notes=header.get("notes", ""),
        lines=lines,
    )
    quote.refresh_from_db()
    return quote


def submitted_quote(account, rep, lines=None, **kwargs):
    """Submitted: sent to the customer, or waiting for deal desk if a rule fires."""
    quote = draft_quote(account, rep, lines, **kwargs)
    flow_services.quote_submit(quote=quote, actor=rep)
    quote.refresh_from_db()
    return quote


def sent_quote(account, rep, **kwargs):
    quote = submitted_quote(account, rep, **kwargs)
    assert quote.current_revision.status == "sent", quote.current_revision.status
    return quote


def pending_approval_quote(account, rep, **kwargs):
    """Crosses the default 15 % line-discount rule."""
    item = product()
    quote = submitted_quote(account, rep, lines=[line(item, discount="20")], **kwargs)
    assert quote.current_revision.status == "pending_approval"
    return quote


def pending_finance_quote(account, rep, deal_desk, **kwargs):
    """A 35 % line discount (over the finance tier's 30 %), approved by deal desk: waiting for
    finance."""
    item = product()
    quote = submitted_quote(account, rep, lines=[line(item, discount="35")], **kwargs)
    flow_services.quote_approve(quote=quote, actor=deal_desk)
    quote.refresh_from_db()
    assert quote.current_revision.status == "pending_finance"
    return quote


def awaiting_second_quote(account, rep, first_contact, *, above="1000", po=None, **kwargs):
    """The account needs two billing contacts above ``above``; a 2,400 quote was accepted by
    ``first_contact`` and waits for a second one."""
    from tests import po_builders

    account.second_acceptance_above = Decimal(above)
    account.save(update_fields=["second_acceptance_above"])
    quote = sent_quote(account, rep, **kwargs)
    flow_services.quote_accept(
        quote=quote,
        actor=first_contact,
        new_po=po_builders.new_po(po or f"PO-2SIG-{quote.pk}") if account.po_required else None,
    )
    quote.refresh_from_db()
    assert quote.current_revision.status == "awaiting_second"
    return quote
