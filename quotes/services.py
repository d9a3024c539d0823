"""Writes for quotes. Keyword-only, atomic, audited; mail leaves on commit.

Status changes live here; *who does what next* lives in the workflow layer, which calls these.
Each function re-checks the actor's right on the quote's account: a revoked contact cannot finish
a task they were offered before.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from contacts.models import Account
from contacts.permissions import has_account_permission

from . import notifications
from .documents import revision_pdf
from .models import (
    Acceptance,
    ApprovalRule,
    Quote,
    QuoteCounter,
    QuoteLine,
    QuoteRevision,
    RevisionStatus,
)
from .money import MAX_AMOUNT, line_amounts, round_money
from .rules import LineFigures, RuleHit, evaluate

DEFAULT_VALIDITY_DAYS = 30


class QuoteConflict(Exception):
    """The quote moved on since the page was shown (someone else decided first, it expired…)."""


@dataclass(frozen=True)
class LineInput:
    product: object  # quotes.models.Product
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    description: str = ""


def _require(actor, codename: str, account: Account) -> None:
    if not has_account_permission(actor, codename, account):
        raise PermissionDenied(f"{codename} on {account.number}")


def _audit(revision: QuoteRevision, action, *, detail: str = "", message: str = "", **fields):
    """One audit event about ``revision``'s quote, its message naming the revision."""
    message = message or f"rev {revision.number}" + (f": {detail}" if detail else "")
    return audit_record(
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


def revision_expires_at(revision: QuoteRevision) -> datetime:
    """The end of the validity date in the account's time zone."""
    tz = ZoneInfo(revision.quote.account.time_zone)
    return datetime.combine(revision.valid_until + timedelta(days=1), time.min, tzinfo=tz)


def revision_is_expired(revision: QuoteRevision, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= revision_expires_at(revision)


def quote_create(
    *,
    account: Account,
    actor,
    title: str,
    idempotency_key: uuid.UUID,
    term_months: int = 12,
    billing_frequency: str = "annually",
    valid_until: date | None = None,
    terms: str = "",
    notes: str = "",
    request=None,
) -> Quote:
    """A new quote with an empty draft revision 1. Posting the same form twice returns the quote
    the first post made."""
    _require(actor, "draft_quote", account)
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


def material_fingerprint(revision: QuoteRevision, lines) -> str:
    """What an approval is an approval *of*: price, quantity, discount, term and frequency."""
    parts = [str(revision.term_months), revision.billing_frequency]
    for line in lines:
        parts.append(
            f"{line.product_id if hasattr(line, 'product_id') else line.product.pk}|"
            f"{Decimal(line.quantity).normalize()}|{Decimal(line.unit_price).normalize()}|"
            f"{Decimal(line.discount_percent).normalize()}"
        )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _require_draft(revision: QuoteRevision) -> None:
    if revision.status != RevisionStatus.DRAFT:
        raise QuoteConflict(
            f"Revision {revision.number} is {revision.get_status_display().lower()}: only a "
            "draft can be edited."
        )


@transaction.atomic
def revision_update(
    *,
    revision: QuoteRevision,
    actor,
    term_months: int,
    billing_frequency: str,
    valid_until: date,
    terms: str,
    notes: str,
    lines: list[LineInput],
    request=None,
) -> QuoteRevision:
    """Replaces a draft's header and lines. A material change voids an earlier approval."""
    revision = QuoteRevision.objects.select_for_update().get(pk=revision.pk)
    _require(actor, "draft_quote", revision.quote.account)
    _require_draft(revision)
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
                discount_percent=line.discount_percent,
                gross_amount=gross,
                discount_amount=discount,
                net_amount=net,
            )
        )
    QuoteLine.objects.bulk_create(new_lines, batch_size=500)
    if subtotal > MAX_AMOUNT:
        # Also refused by the form; checked here so no caller can store an unreadable total.
        raise ValidationError("The quote's total would be more than 12 digits.")
    revision.subtotal = subtotal
    revision.discount_total = discount_total
    revision.total = subtotal - discount_total
    voided = False
    if revision.approved_at and revision.approved_fingerprint != material_fingerprint(
        revision, new_lines
    ):
        revision.approved_by, revision.approved_at, revision.approved_fingerprint = None, None, ""
        voided = True
    revision.save()
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
            detail="price, quantity, discount, term or frequency changed after approval",
        )
    return revision


def revision_rule_hits(revision: QuoteRevision) -> list[RuleHit]:
    lines = [
        LineFigures(line.position, line.name, line.discount_percent)
        for line in revision.lines.all()
    ]
    return evaluate(
        ApprovalRule.objects.filter(is_active=True),
        lines=lines,
        subtotal=revision.subtotal,
        discount_total=revision.discount_total,
        total=revision.total,
        currency=revision.currency,
    )


def revision_has_valid_approval(revision: QuoteRevision) -> bool:
    return bool(revision.approved_at) and revision.approved_fingerprint == material_fingerprint(
        revision, list(revision.lines.all())
    )


def revision_needs_approval(revision: QuoteRevision) -> bool:
    return bool(revision_rule_hits(revision)) and not revision_has_valid_approval(revision)


def _lock(revision: QuoteRevision) -> QuoteRevision:
    return (
        QuoteRevision.objects.select_for_update()
        .select_related("quote__account")
        .get(pk=revision.pk)
    )


@transaction.atomic
def revision_submit(*, revision: QuoteRevision, actor, request=None) -> bool:
    """The representative hands the draft on. Returns True when deal desk must approve first."""
    revision = _lock(revision)
    account = revision.quote.account
    _require(actor, "draft_quote", account)
    _require_draft(revision)
    if not revision.lines.exists():
        raise ValidationError("Add at least one line before submitting the quote.")
    if revision_is_expired(revision):
        raise ValidationError("The validity date has passed: set a later one before submitting.")
    _audit(
        revision,
        AuditAction.QUOTE_SUBMITTED,
        actor=actor,
        request=request,
    )
    if revision_needs_approval(revision):
        hits = revision_rule_hits(revision)
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
        return True
    return False


def _lock_for_review(revision: QuoteRevision, actor) -> QuoteRevision:
    revision = _lock(revision)
    _require(actor, "approve_deal", revision.quote.account)
    if revision.status != RevisionStatus.PENDING_APPROVAL:
        raise QuoteConflict("This revision is no longer waiting for approval.")
    return revision


@transaction.atomic
def revision_approve(*, revision: QuoteRevision, actor, comment: str = "", request=None) -> None:
    revision = _lock_for_review(revision, actor)
    if revision_is_expired(revision):
        raise ValidationError(
            f"Its validity date ({revision.valid_until:%d %B %Y}) has passed, so approving would "
            "send the customer a quote they cannot accept. Send it back for a later date."
        )
    revision.approved_by = actor
    revision.approved_at = timezone.now()
    revision.approved_fingerprint = material_fingerprint(revision, list(revision.lines.all()))
    revision.review_comment = comment
    revision.save()
    _audit(
        revision,
        AuditAction.QUOTE_APPROVED,
        actor=actor,
        after={"comment": comment},
        request=request,
    )


@transaction.atomic
def revision_send_back(*, revision: QuoteRevision, actor, comment: str, request=None) -> None:
    revision = _lock_for_review(revision, actor)
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


@transaction.atomic
def revision_send(*, revision: QuoteRevision, actor, request=None) -> None:
    """Freezes the revision and sends it to the account's billing contacts."""
    revision = _lock(revision)
    if revision.status not in (RevisionStatus.DRAFT, RevisionStatus.PENDING_APPROVAL):
        raise QuoteConflict("This revision was already sent.")
    revision.status = RevisionStatus.SENT
    revision.sent_by = actor
    revision.sent_at = timezone.now()
    revision.save()
    revision.sent_pdf_sha256 = hashlib.sha256(revision_pdf(revision)).hexdigest()
    revision.save(update_fields=["sent_pdf_sha256"])
    _audit(
        revision,
        AuditAction.QUOTE_SENT,
        actor=actor,
        after={"revision": revision.number, "total": str(revision.total)},
        request=request,
    )
    notifications.quote_sent(revision)


def revision_require_decidable(revision: QuoteRevision) -> None:
    if revision.quote.current_revision_id != revision.pk:
        raise QuoteConflict(
            f"Revision {revision.number} was superseded by a newer revision and cannot be accepted."
        )
    if revision.status == RevisionStatus.EXPIRED or (
        revision.status == RevisionStatus.SENT and revision_is_expired(revision)
    ):
        raise QuoteConflict(
            f"This quote expired at the end of {revision.valid_until:%d %B %Y}. Ask your "
            "representative to re-issue it."
        )
    if revision.status in (RevisionStatus.DRAFT, RevisionStatus.PENDING_APPROVAL):
        # Drafts and internal approval are the vendor's business: say only what it means.
        raise QuoteConflict(
            "Your representative is preparing a new revision of this quote; nothing was "
            "changed. You will be e-mailed when it is ready."
        )
    if revision.status != RevisionStatus.SENT:
        raise QuoteConflict(
            f"This quote was already {revision.get_status_display().lower()}; nothing was changed."
        )


def _decide(revision, actor, status, action, comment, request, **extra):
    revision.status = status
    revision.decided_by = actor
    revision.decided_at = timezone.now()
    revision.decision_comment = comment
    revision.save()
    _audit(
        revision,
        action,
        actor=actor,
        after={"revision": revision.number, "comment": comment, **extra},
        request=request,
    )
    notifications.customer_decided(revision)


@transaction.atomic
def revision_accept(
    *, revision: QuoteRevision, actor, po_number: str = "", request=None
) -> Acceptance:
    revision = _lock(revision)
    account = revision.quote.account
    _require(actor, "approve_quote", account)
    revision_require_decidable(revision)
    po_number = po_number.strip()
    if account.po_required and not po_number:
        raise ValidationError("Your account requires a purchase order number to accept a quote.")
    pdf_sha256 = hashlib.sha256(revision_pdf(revision)).hexdigest()
    acceptance = Acceptance.objects.create(
        revision=revision,
        accepted_by=actor,
        accepted_at=timezone.now(),
        ip_address=request.META.get("REMOTE_ADDR") if request else None,
        pdf_sha256=pdf_sha256,
        po_number=po_number,
    )
    _decide(
        revision,
        actor,
        RevisionStatus.ACCEPTED,
        AuditAction.QUOTE_ACCEPTED,
        "",
        request,
        po_number=po_number,
        pdf_sha256=pdf_sha256,
    )
    return acceptance


@transaction.atomic
def revision_reject(*, revision: QuoteRevision, actor, reason: str, request=None) -> None:
    revision = _lock(revision)
    _require(actor, "approve_quote", revision.quote.account)
    revision_require_decidable(revision)
    if not reason.strip():
        raise ValidationError("Give a reason for rejecting the quote.")
    _decide(revision, actor, RevisionStatus.REJECTED, AuditAction.QUOTE_REJECTED, reason, request)


@transaction.atomic
def revision_request_changes(*, revision: QuoteRevision, actor, comment: str, request=None) -> None:
    revision = _lock(revision)
    _require(actor, "approve_quote", revision.quote.account)
    revision_require_decidable(revision)
    if not comment.strip():
        raise ValidationError("Say what you would like changed.")
    _decide(
        revision,
        actor,
        RevisionStatus.CHANGES_REQUESTED,
        AuditAction.QUOTE_CHANGES_REQUESTED,
        comment,
        request,
    )


@transaction.atomic
def revision_expire(*, revision: QuoteRevision, now: datetime | None = None) -> bool:
    """Marks a sent revision expired once its validity date has ended. Idempotent."""
    revision = _lock(revision)
    if revision.status != RevisionStatus.SENT or not revision_is_expired(revision, now):
        return False
    revision.status = RevisionStatus.EXPIRED
    revision.save(update_fields=["status"])
    _audit(
        revision,
        AuditAction.QUOTE_EXPIRED,
        message=f"rev {revision.number} expired at the end of {revision.valid_until}",
    )
    notifications.quote_expired(revision)
    return True


@transaction.atomic
def revision_start_next(*, quote: Quote, actor, request=None) -> QuoteRevision:
    """A new draft revision copied from the current one: after changes were requested, or to
    re-issue a rejected or expired quote. Older revisions stay readable, superseded."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    _require(actor, "draft_quote", quote.account)
    current = QuoteRevision.objects.get(pk=quote.current_revision_id)
    allowed = (
        RevisionStatus.CHANGES_REQUESTED,
        RevisionStatus.REJECTED,
        RevisionStatus.EXPIRED,
    )
    if current.status not in allowed:
        raise QuoteConflict(
            f"Revision {current.number} is {current.get_status_display().lower()}: a new "
            "revision can follow only a rejected, expired or changes-requested one."
        )
    valid_until = current.valid_until
    if revision_is_expired(current):
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


def reminder_due(revision: QuoteRevision, now: datetime) -> str | None:
    """'7d' or '1d' when that reminder is due and not yet sent, else None."""
    if revision.status != RevisionStatus.SENT or revision_is_expired(revision, now):
        return None
    left = revision_expires_at(revision) - now
    if left <= timedelta(days=1) and revision.reminded_1d_at is None:
        return "1d"
    if left <= timedelta(days=7) and revision.reminded_7d_at is None and left > timedelta(days=1):
        return "7d"
    return None


@transaction.atomic
def revision_remind(*, revision: QuoteRevision, now: datetime) -> str | None:
    """Sends the due expiry reminder once. Returns which one was sent."""
    revision = _lock(revision)
    kind = reminder_due(revision, now)
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
