"""Writes for quotes. Keyword-only, atomic, audited; mail leaves on commit.

Each function is one whole business step: it locks the revision, asks ``policy.require`` whether
the actor may do it now (the right on the account first, then the status table), writes with
``update_fields``, records the audit event and queues the mail. *Who does what next* lives in the
workflow layer, which calls these inside its task helper; reads live in ``selectors`` and
``policy``.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record, client_ip
from contacts.models import Account, User
from contacts.permissions import has_account_permission

from . import notifications, policy, selectors
from .documents import revision_pdf
from .models import (
    Acceptance,
    Price,
    Product,
    Quote,
    QuoteCounter,
    QuoteLine,
    QuoteRevision,
    RevisionStatus,
)
from .money import MAX_AMOUNT, line_amounts, round_money
from .policy import Action, QuoteConflict
from .rules import material_fingerprint

__all__ = ["QuoteConflict", "LineInput"]  # QuoteConflict is re-exported for callers' convenience

DEFAULT_VALIDITY_DAYS = 30


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    description: str = ""


def _audit(
    revision: QuoteRevision,
    action: AuditAction,
    *,
    detail: str = "",
    message: str = "",
    **fields: Any,
) -> None:
    """One audit event about ``revision``'s quote, its message naming the revision."""
    message = message or f"rev {revision.number}" + (f": {detail}" if detail else "")
    audit_record(
        action=action,
        account=revision.quote.account,
        obj=revision.quote,
        message=message,
        **fields,
    )


def _next_number(today: date) -> str:
    counter, _ = QuoteCounter.objects.select_for_update().get_or_create(year=today.year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"Q-{today.year}-{counter.last:06d}"


def default_valid_until(account: Account, now: datetime | None = None) -> date:
    now = now or timezone.now()
    return now.astimezone(ZoneInfo(account.time_zone)).date() + timedelta(
        days=DEFAULT_VALIDITY_DAYS
    )


def quote_create(
    *,
    account: Account,
    actor: User,
    title: str,
    idempotency_key: uuid.UUID,
    term_months: int = 12,
    billing_frequency: str = "annually",
    valid_until: date | None = None,
    terms: str = "",
    notes: str = "",
    request: HttpRequest | None = None,
) -> Quote:
    """A new quote with an empty draft revision 1. Posting the same form twice returns the quote
    the first post made."""
    if not has_account_permission(actor, "draft_quote", account):
        raise PermissionDenied(f"draft_quote on {account.number}")
    existing = Quote.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.account_id != account.pk or existing.created_by_id != actor.pk:
            raise PermissionDenied("idempotency key belongs to another quote")
        return existing
    try:
        with transaction.atomic():
            quote = Quote.objects.create(
                number=_next_number(timezone.now().date()),
                account=account,
                title=title,
                created_by=actor,
                idempotency_key=idempotency_key,
            )
            revision = QuoteRevision.objects.create(
                quote=quote,
                number=1,
                currency=account.currency,
                term_months=term_months,
                billing_frequency=billing_frequency,
                valid_until=valid_until or default_valid_until(account),
                terms=terms,
                notes=notes,
                created_by=actor,
            )
            quote.current_revision = revision
            quote.save(update_fields=["current_revision"])
            audit_record(
                action=AuditAction.QUOTE_CREATED,
                actor=actor,
                account=account,
                obj=quote,
                after={"number": quote.number, "title": title},
                request=request,
            )
            return quote
    except IntegrityError:
        # The same form posted twice at once: the other post won the key.
        existing = Quote.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


def compute_line(line: LineInput, currency: str) -> tuple[Decimal, Decimal, Decimal]:
    return line_amounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        currency=currency,
    )


def _lock(revision: QuoteRevision) -> QuoteRevision:
    """The revision, re-read under a row lock with its quote and account (whose
    ``current_revision`` the policy reads)."""
    return (
        QuoteRevision.objects.select_for_update()
        .select_related("quote__account")
        .get(pk=revision.pk)
    )


def _list_prices(products: list[Product], currency: str, frequency: str) -> dict[int, Decimal]:
    return dict(
        Price.objects.filter(
            product__in=products, currency=currency, billing_frequency=frequency
        ).values_list("product_id", "list_price")
    )


@transaction.atomic
def revision_update(
    *,
    revision: QuoteRevision,
    actor: User,
    term_months: int,
    billing_frequency: str,
    valid_until: date,
    terms: str,
    notes: str,
    lines: list[LineInput],
    request: HttpRequest | None = None,
) -> QuoteRevision:
    """Replaces a draft's header and lines. A material change voids an earlier approval."""
    revision = _lock(revision)
    policy.require(actor, Action.EDIT, revision)
    currency = revision.currency
    before = {
        "total": str(round_money(revision.total, currency)),
        "term_months": revision.term_months,
        "billing_frequency": revision.billing_frequency,
        "lines": revision.lines.count(),
    }
    revision.term_months = term_months
    revision.billing_frequency = billing_frequency
    revision.valid_until = valid_until
    revision.terms = terms
    revision.notes = notes
    revision.lines.all().delete()
    list_prices = _list_prices([line.product for line in lines], currency, billing_frequency)
    new_lines, subtotal, discount_total = [], Decimal(0), Decimal(0)
    for position, line in enumerate(lines, start=1):
        gross, discount, net = compute_line(line, currency)
        subtotal += gross
        discount_total += discount
        new_lines.append(
            QuoteLine(
                revision=revision,
                position=position,
                product=line.product,
                sku=line.product.sku,
                name=line.product.name,
                unit=line.product.unit,
                description=line.description,
                quantity=line.quantity,
                unit_price=round_money(line.unit_price, currency),
                list_price=list_prices.get(line.product.pk),
                discount_percent=line.discount_percent,
                gross_amount=gross,
                discount_amount=discount,
                net_amount=net,
            )
        )
    if subtotal > MAX_AMOUNT:
        # Also refused by the form; checked here so no caller can store an unreadable total.
        raise ValidationError("The quote's total would be more than 12 digits.")
    QuoteLine.objects.bulk_create(new_lines, batch_size=500)
    revision.subtotal = subtotal
    revision.discount_total = discount_total
    revision.total = subtotal - discount_total
    voided = bool(revision.approved_at) and revision.approved_fingerprint != (
        material_fingerprint(revision, new_lines)
    )
    if voided:
        revision.approved_by, revision.approved_at, revision.approved_fingerprint = None, None, ""
    revision.save(
        update_fields=[
            "term_months",
            "billing_frequency",
            "valid_until",
            "terms",
            "notes",
            "subtotal",
            "discount_total",
            "total",
            "approved_by",
            "approved_at",
            "approved_fingerprint",
        ]
    )
    _audit(
        revision,
        AuditAction.QUOTE_EDITED,
        actor=actor,
        before=before,
        after={
            "total": str(revision.total),
            "term_months": term_months,
            "billing_frequency": billing_frequency,
            "lines": len(new_lines),
        },
        request=request,
    )
    if voided:
        _audit(
            revision,
            AuditAction.QUOTE_APPROVAL_VOIDED,
            actor=actor,
            request=request,
            detail="price, quantity, discount, term, frequency, terms or validity changed after "
            "approval",
        )
    return revision


def _send(revision: QuoteRevision, *, request: HttpRequest | None) -> None:
    """Freezes ``revision`` (locked by the caller) and sends it to the account's billing
    contacts. The sender is the representative who submitted it, also when deal desk approved
    it: who approved internally is the vendor's business."""
    sender = revision.submitted_by
    revision.status = RevisionStatus.SENT
    revision.sent_by = sender
    revision.sent_at = timezone.now()
    revision.sent_pdf_sha256 = hashlib.sha256(revision_pdf(revision)).hexdigest()
    revision.save(update_fields=["status", "sent_by", "sent_at", "sent_pdf_sha256"])
    _audit(
        revision,
        AuditAction.QUOTE_SENT,
        actor=sender,
        after={"revision": revision.number, "total": str(revision.total)},
        request=request,
    )
    notifications.quote_sent(revision)


@transaction.atomic
def revision_submit(
    *, revision: QuoteRevision, actor: User, request: HttpRequest | None = None
) -> str:
    """The representative hands the draft on: to deal desk when a rule fires and no valid
    approval covers it, otherwise straight to the customer. Returns the new status."""
    revision = _lock(revision)
    policy.require(actor, Action.SUBMIT, revision)
    if not revision.lines.exists():
        raise ValidationError("Add at least one line before submitting the quote.")
    if policy.is_expired(revision):
        raise ValidationError("The validity date has passed: set a later one before submitting.")
    revision.submitted_by = actor
    revision.submitted_at = timezone.now()
    revision.save(update_fields=["submitted_by", "submitted_at"])
    _audit(revision, AuditAction.QUOTE_SUBMITTED, actor=actor, request=request)
    if selectors.revision_needs_approval(revision):
        policy.require(actor, Action.SUBMIT, revision, to=RevisionStatus.PENDING_APPROVAL)
        hits = selectors.revision_rule_hits(revision)
        revision.status = RevisionStatus.PENDING_APPROVAL
        revision.save(update_fields=["status"])
        _audit(
            revision,
            AuditAction.QUOTE_APPROVAL_REQUIRED,
            actor=actor,
            after={"rules": [hit.explanation for hit in hits]},
            request=request,
        )
        notifications.approval_needed(revision)
    else:
        policy.require(actor, Action.SUBMIT, revision, to=RevisionStatus.SENT)
        _send(revision, request=request)
    return revision.status


@transaction.atomic
def revision_approve(
    *, revision: QuoteRevision, actor: User, comment: str = "", request: HttpRequest | None = None
) -> None:
    """Deal desk approves, which sends the quote to the customer in the same step."""
    revision = _lock(revision)
    policy.require(actor, Action.APPROVE, revision)
    if policy.is_expired(revision):
        raise ValidationError(
            f"Its validity date ({revision.valid_until:%d %B %Y}) has passed, so approving would "
            "send the customer a quote they cannot accept. Send it back for a later date."
        )
    revision.approved_by = actor
    revision.approved_at = timezone.now()
    revision.approved_fingerprint = material_fingerprint(revision, list(revision.lines.all()))
    revision.review_comment = comment
    revision.save(
        update_fields=["approved_by", "approved_at", "approved_fingerprint", "review_comment"]
    )
    _audit(
        revision,
        AuditAction.QUOTE_APPROVED,
        actor=actor,
        after={"comment": comment},
        request=request,
    )
    _send(revision, request=request)
    notifications.approved(revision)


@transaction.atomic
def revision_send_back(
    *, revision: QuoteRevision, actor: User, comment: str, request: HttpRequest | None = None
) -> None:
    revision = _lock(revision)
    policy.require(actor, Action.SEND_BACK, revision)
    if not comment.strip():
        raise ValidationError("Say what must change before the quote can be approved.")
    revision.status = RevisionStatus.DRAFT
    revision.review_comment = comment
    revision.save(update_fields=["status", "review_comment"])
    _audit(
        revision,
        AuditAction.QUOTE_SENT_BACK,
        actor=actor,
        after={"comment": comment},
        request=request,
    )
    notifications.sent_back(revision)


def _record_decision(
    revision: QuoteRevision,
    *,
    actor: User,
    action: Action,
    comment: str,
    request: HttpRequest | None,
    **extra: str,
) -> None:
    """The customer's decision on a locked revision: status, who, when, audit, mail."""
    transition = policy.require(actor, action, revision)
    revision.status = transition.target
    revision.decided_by = actor
    revision.decided_at = timezone.now()
    revision.decision_comment = comment
    revision.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    _audit(
        revision,
        DECISION_AUDIT[action],
        actor=actor,
        after={"revision": revision.number, "comment": comment, **extra},
        request=request,
    )
    notifications.customer_decided(revision)


DECISION_AUDIT = {
    Action.ACCEPT: AuditAction.QUOTE_ACCEPTED,
    Action.REJECT: AuditAction.QUOTE_REJECTED,
    Action.REQUEST_CHANGES: AuditAction.QUOTE_CHANGES_REQUESTED,
}
DECLINE_NEEDS = {
    Action.REJECT: "Give a reason for rejecting the quote.",
    Action.REQUEST_CHANGES: "Say what you would like changed.",
}


@transaction.atomic
def revision_accept(
    *,
    revision: QuoteRevision,
    actor: User,
    purchase_order: Any = None,
    request: HttpRequest | None = None,
) -> Acceptance:
    """A billing contact accepts the sent revision. The exact PDF they accepted is kept, with
    its SHA-256. ``purchase_order`` (a ``purchase_orders.PurchaseOrder``, locked and checked
    by ``purchase_orders.services.quote_accept_with_po``, which is how callers accept) is the
    PO the quote is charged to."""
    revision = _lock(revision)
    policy.require(actor, Action.ACCEPT, revision)
    account = revision.quote.account
    if account.po_required and purchase_order is None:
        raise ValidationError(
            "Your account requires a purchase order to accept a quote: choose one or enter a "
            "new one.",
            code="purchase_order",
        )
    po_number = purchase_order.number if purchase_order is not None else ""
    pdf = revision_pdf(revision)
    pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    acceptance = Acceptance.objects.create(
        revision=revision,
        accepted_by=actor,
        accepted_at=timezone.now(),
        ip_address=client_ip(request),
        pdf_sha256=pdf_sha256,
        pdf=pdf,
        po_number=po_number,
        purchase_order=purchase_order,
    )
    _record_decision(
        revision,
        actor=actor,
        action=Action.ACCEPT,
        comment="",
        request=request,
        po_number=po_number,
        pdf_sha256=pdf_sha256,
    )
    notifications.acceptance_confirmed(revision, acceptance)
    notifications.contacts_told_of_decision(revision, except_user=actor)
    return acceptance


@transaction.atomic
def revision_decline(
    *,
    revision: QuoteRevision,
    actor: User,
    action: Action,
    comment: str,
    request: HttpRequest | None = None,
) -> None:
    """A billing contact rejects the revision (``Action.REJECT``, with a reason) or asks for
    changes (``Action.REQUEST_CHANGES``, saying which): one path, two outcomes."""
    if action not in DECLINE_NEEDS:
        raise ValueError(action)
    revision = _lock(revision)
    policy.require(actor, action, revision)
    if not comment.strip():
        raise ValidationError(DECLINE_NEEDS[action])
    _record_decision(revision, actor=actor, action=action, comment=comment, request=request)
    if action == Action.REJECT:
        # A request for changes is a conversation with the representative; a rejection ends
        # the quote, which every billing contact must know.
        notifications.contacts_told_of_decision(revision)


@transaction.atomic
def revision_withdraw(
    *, revision: QuoteRevision, actor: User, reason: str, request: HttpRequest | None = None
) -> None:
    """The representative takes back a sent, undecided revision; its billing contacts are
    told and can no longer accept it."""
    revision = _lock(revision)
    transition = policy.require(actor, Action.WITHDRAW, revision)
    if not reason.strip():
        raise ValidationError("Say why the quote is withdrawn; the customer will read it.")
    revision.status = transition.target
    revision.withdrawn_by = actor
    revision.withdrawn_at = timezone.now()
    revision.withdrawal_reason = reason
    revision.save(update_fields=["status", "withdrawn_by", "withdrawn_at", "withdrawal_reason"])
    _audit(
        revision,
        AuditAction.QUOTE_WITHDRAWN,
        actor=actor,
        after={"revision": revision.number, "comment": reason},
        request=request,
    )
    notifications.quote_withdrawn(revision)


@transaction.atomic
def revision_expire(*, revision: QuoteRevision, now: datetime | None = None) -> bool:
    """Marks a sent revision expired once its validity date has ended. Idempotent."""
    revision = _lock(revision)
    if revision.status != RevisionStatus.SENT or not policy.is_expired(revision, now):
        return False
    revision.status = policy.require(None, Action.EXPIRE, revision).target
    revision.save(update_fields=["status"])
    _audit(
        revision,
        AuditAction.QUOTE_EXPIRED,
        message=f"rev {revision.number} expired at the end of {revision.valid_until}",
    )
    notifications.quote_expired(revision)
    return True


@transaction.atomic
def revision_start_next(
    *, quote: Quote, actor: User, request: HttpRequest | None = None
) -> QuoteRevision:
    """A new draft revision copied from the current one: after changes were requested, or to
    re-issue a rejected, expired or withdrawn quote. Older revisions stay readable, superseded."""
    quote = Quote.objects.select_for_update().select_related("account").get(pk=quote.pk)
    assert quote.current_revision_id is not None  # every quote is created with revision 1
    current = QuoteRevision.objects.get(pk=quote.current_revision_id)
    current.quote = quote
    policy.require(actor, Action.REVISE, current)
    valid_until = current.valid_until
    if policy.is_expired(current):
        valid_until = default_valid_until(quote.account)
    new = QuoteRevision.objects.create(
        quote=quote,
        number=current.number + 1,
        currency=current.currency,
        term_months=current.term_months,
        billing_frequency=current.billing_frequency,
        valid_until=valid_until,
        terms=current.terms,
        notes=current.notes,
        subtotal=current.subtotal,
        discount_total=current.discount_total,
        total=current.total,
        created_by=actor,
        # An approval carries over until a material edit voids it.
        approved_by=current.approved_by,
        approved_at=current.approved_at,
        approved_fingerprint=current.approved_fingerprint,
    )
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                revision=new,
                position=line.position,
                product_id=line.product_id,
                sku=line.sku,
                name=line.name,
                unit=line.unit,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                list_price=line.list_price,
                discount_percent=line.discount_percent,
                gross_amount=line.gross_amount,
                discount_amount=line.discount_amount,
                net_amount=line.net_amount,
            )
            for line in current.lines.all()
        ],
        batch_size=500,
    )
    quote.current_revision = new
    quote.save(update_fields=["current_revision"])
    audit_record(
        action=AuditAction.QUOTE_REVISED,
        actor=actor,
        account=quote.account,
        obj=quote,
        before={"revision": current.number, "status": current.status},
        after={"revision": new.number},
        request=request,
    )
    return new


@transaction.atomic
def revision_remind(*, revision: QuoteRevision, now: datetime) -> str | None:
    """Sends the due expiry reminder once. Returns which one was sent."""
    revision = _lock(revision)
    kind = policy.reminder_due(revision, now)
    if kind is None:
        return None
    if kind == "1d":
        revision.reminded_1d_at = now
        # A 7-day reminder that was never sent is pointless now.
        revision.reminded_7d_at = revision.reminded_7d_at or now
    else:
        revision.reminded_7d_at = now
    revision.save(update_fields=["reminded_1d_at", "reminded_7d_at"])
    _audit(
        revision,
        AuditAction.QUOTE_REMINDER_SENT,
        detail=f"{kind} before expiry",
    )
    notifications.expiry_reminder(revision, kind)
    return kind
