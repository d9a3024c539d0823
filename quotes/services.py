"""Writes for quotes. Keyword-only, atomic, audited; mail leaves on commit.

Each function is one whole business step: it locks the revision, asks ``policy.require`` whether
the actor may do it now (the right on the account first, then the status table), writes with
``update_fields``, records the audit event and queues the mail. *Who does what next* lives in the
workflow layer, which calls these inside its task helper; reads live in ``selectors`` and
``policy``.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
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
from .documents import revision_document_status, revision_pdf, sha256
from .models import (
    Acceptance,
    ApprovalTier,
    Price,
    Product,
    Quote,
    QuoteCounter,
    QuoteLine,
    QuoteRevision,
    RevisionStatus,
    RuleCheck,
    SentPdf,
)
from .money import MAX_AMOUNT, line_amounts, round_money
from .periods import line_unit
from .policy import Action, QuoteConflict
from .rules import deal_terms_fingerprint, format_measured

__all__ = ["QuoteConflict", "LineInput"]  # QuoteConflict is re-exported for callers' convenience

logger = logging.getLogger(__name__)

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
                title=title,
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
    title: str | None = None,
    request: HttpRequest | None = None,
) -> QuoteRevision:
    """Replaces a draft's header and lines. A material change voids an earlier approval.
    ``title`` (``None`` keeps it) is the revision's, and the quote's while it is current."""
    revision = _lock(revision)
    policy.require(actor, Action.EDIT, revision)
    currency = revision.currency
    before = {
        "title": revision.title,
        "total": str(round_money(revision.total, currency)),
        "term_months": revision.term_months,
        "billing_frequency": revision.billing_frequency,
        "lines": revision.lines.count(),
    }
    if title is not None:
        revision.title = title
        quote = revision.quote
        if quote.current_revision_id == revision.pk and quote.title != title:
            quote.title = title
            quote.save(update_fields=["title"])
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
                unit=line_unit(line.product.unit, billing_frequency),
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
    # No approval is voided here: what an earlier approval still covers is decided rule by rule
    # when the revision is submitted (``selectors.approval_plan``).
    revision.save(
        update_fields=[
            "title",
            "term_months",
            "billing_frequency",
            "valid_until",
            "terms",
            "notes",
            "subtotal",
            "discount_total",
            "total",
        ]
    )
    _audit(
        revision,
        AuditAction.QUOTE_EDITED,
        actor=actor,
        before=before,
        after={
            "title": revision.title,
            "total": str(revision.total),
            "term_months": term_months,
            "billing_frequency": billing_frequency,
            "lines": len(new_lines),
        },
        request=request,
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
    # The one render of the document the customer reads and accepts: it is frozen from now on,
    # so its download and its acceptance are these bytes (``SentPdf``).
    pdf = revision_pdf(revision)
    revision.sent_pdf_sha256 = sha256(pdf)
    revision.save(update_fields=["status", "sent_by", "sent_at", "sent_pdf_sha256"])
    SentPdf.objects.create(revision=revision, pdf=pdf, sha256=revision.sent_pdf_sha256)
    _audit(
        revision,
        AuditAction.QUOTE_SENT,
        actor=sender,
        after={"revision": revision.number, "total": str(revision.total)},
        request=request,
    )
    notifications.quote_sent(revision)


TIER_STATUS = {
    ApprovalTier.DEAL_DESK: RevisionStatus.PENDING_APPROVAL,
    ApprovalTier.FINANCE: RevisionStatus.PENDING_FINANCE,
}
APPROVED_AUDIT = {
    ApprovalTier.DEAL_DESK: AuditAction.QUOTE_APPROVED,
    ApprovalTier.FINANCE: AuditAction.QUOTE_FINANCE_APPROVED,
}
SENT_BACK_AUDIT = {
    ApprovalTier.DEAL_DESK: AuditAction.QUOTE_SENT_BACK,
    ApprovalTier.FINANCE: AuditAction.QUOTE_FINANCE_SENT_BACK,
}


def _check_summary(check: RuleCheck, currency: str) -> str:
    return f"{check.rule_name}: {format_measured(check.kind, check.measured, currency)}"


def _ask_next_tier(
    revision: QuoteRevision,
    checks: list[RuleCheck],
    *,
    actor: User,
    action: Action,
    request: HttpRequest | None,
) -> None:
    """Hands the locked ``revision`` to the first tier that must still approve it, or sends it
    to the customer when none must."""
    tiers = selectors.tiers_to_ask(checks)
    if not tiers:
        policy.require(actor, action, revision, to=RevisionStatus.SENT)
        _send(revision, request=request)
        return
    tier = ApprovalTier(tiers[0])
    policy.require(actor, action, revision, to=TIER_STATUS[tier])
    revision.status = TIER_STATUS[tier]
    revision.save(update_fields=["status"])
    waiting = [c for c in checks if c.tier == tier and c.needs_approval]
    _audit(
        revision,
        AuditAction.QUOTE_APPROVAL_REQUIRED,
        actor=actor,
        detail=f"{tier.label.lower()} to approve",
        after={
            "tier": tier.value,
            "rules": [check.explanation for check in waiting],
        },
        request=request,
    )
    notifications.approval_needed(revision, tier=tier, checks=waiting)


@transaction.atomic
def revision_submit(
    *, revision: QuoteRevision, actor: User, request: HttpRequest | None = None
) -> str:
    """The representative hands the draft on. The rules that fire are frozen on it (tier,
    threshold, value) so that editing a rule later changes nothing about this revision; an
    earlier approval of a rule carries over when the value it approved is not exceeded. The
    first tier that must approve what is left is asked (deal desk, then finance); with nothing
    left, the quote goes straight to the customer. Returns the new status."""
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
    checks = selectors.approval_plan(revision)
    # A resubmission after a send-back freezes afresh (its approvals were read by the plan).
    revision.rule_checks.all().delete()
    RuleCheck.objects.bulk_create(checks)
    carried = [check for check in checks if check.is_carried_over]
    if carried:
        _audit(
            revision,
            AuditAction.QUOTE_APPROVAL_CARRIED,
            actor=actor,
            after={"rules": [f"{c.rule_name}: {c.carry_reason}" for c in carried]},
            request=request,
        )
    _ask_next_tier(revision, checks, actor=actor, action=Action.SUBMIT, request=request)
    return revision.status


@transaction.atomic
def revision_approve(
    *,
    revision: QuoteRevision,
    actor: User,
    comment: str = "",
    action: Action = Action.APPROVE,
    request: HttpRequest | None = None,
) -> str:
    """A tier approves the rules of theirs that fired (``Action.APPROVE`` for deal desk,
    ``Action.FINANCE_APPROVE`` for finance): the next tier is asked, or the quote is sent to the
    customer in the same step. Returns the new status."""
    tier = ApprovalTier(policy.REVIEW_TIER[action])
    revision = _lock(revision)
    policy.require(actor, action, revision)
    if policy.is_expired(revision):
        raise ValidationError(
            f"Its validity date ({revision.valid_until:%d %B %Y}) has passed, so approving would "
            "send the customer a quote they cannot accept. Send it back for a later date."
        )
    now = timezone.now()
    checks = selectors.revision_checks(revision)
    approved = [c for c in checks if c.tier == tier and c.needs_approval]
    terms = deal_terms_fingerprint(revision)
    for check in approved:
        check.approved_value, check.approved_by, check.approved_at = check.measured, actor, now
        check.approved_terms = terms
    RuleCheck.objects.bulk_update(
        approved, ["approved_value", "approved_by", "approved_at", "approved_terms"]
    )
    revision.approved_by = actor
    revision.approved_at = now
    revision.review_comment = comment
    revision.save(update_fields=["approved_by", "approved_at", "review_comment"])
    _audit(
        revision,
        APPROVED_AUDIT[tier],
        actor=actor,
        after={
            "comment": comment,
            "rules": [_check_summary(check, revision.currency) for check in approved],
        },
        request=request,
    )
    _ask_next_tier(revision, checks, actor=actor, action=action, request=request)
    notifications.approved(revision, tier=tier)
    return revision.status


@transaction.atomic
def revision_send_back(
    *,
    revision: QuoteRevision,
    actor: User,
    comment: str,
    action: Action = Action.SEND_BACK,
    request: HttpRequest | None = None,
) -> None:
    """A tier sends the revision back to the representative as a draft (``Action.SEND_BACK``
    for deal desk, ``Action.FINANCE_SEND_BACK`` for finance)."""
    tier = ApprovalTier(policy.REVIEW_TIER[action])
    revision = _lock(revision)
    transition = policy.require(actor, action, revision)
    if not comment.strip():
        raise ValidationError("Say what must change before the quote can be approved.")
    revision.status = transition.target
    revision.review_comment = comment
    revision.save(update_fields=["status", "review_comment"])
    _audit(
        revision,
        SENT_BACK_AUDIT[tier],
        actor=actor,
        after={"comment": comment},
        request=request,
    )
    notifications.sent_back(revision, tier=tier)


def _record_decision(
    revision: QuoteRevision,
    *,
    actor: User,
    action: Action,
    comment: str,
    request: HttpRequest | None,
    **extra: str,
) -> None:
    """The customer's decision on a locked revision: status, who, when, audit, mail. A first
    acceptance still awaiting its second signature is ended by any other decision (its PO is
    no longer drawn on)."""
    to = RevisionStatus.ACCEPTED if action == Action.ACCEPT else None
    transition = policy.require(actor, action, revision, to=to)
    if action != Action.ACCEPT:
        _end_two_signature_round(revision, actor=actor, request=request)
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
    PO the quote is charged to.

    Above the account's two-signature amount this is the first of two acceptances: the revision
    then awaits a second, different billing contact (``revision_second_accept``)."""
    revision = _lock(revision)
    policy.require(actor, Action.ACCEPT, revision)
    if policy.first_signer_id(revision) is not None:
        # The first acceptance is given: this is the second one's step, not this.
        raise QuoteConflict("This quote was already accepted once and awaits a second contact.")
    account = revision.quote.account
    if account.po_required and purchase_order is None:
        raise ValidationError(
            "Your account requires a purchase order to accept a quote: choose one or enter a "
            "new one.",
            code="purchase_order",
        )
    needs_second = policy.needs_second_acceptance(revision)
    po_number = purchase_order.number if purchase_order is not None else ""
    # What they accept is the file they were sent and downloaded: its kept bytes, not a new
    # render (which would also hold the revision's lock for as long as reportlab takes).
    sent = revision_sent_pdf(revision=revision)
    pdf_sha256 = sent.sha256
    acceptance = Acceptance.objects.create(
        revision=revision,
        accepted_by=actor,
        accepted_at=timezone.now(),
        ip_address=client_ip(request),
        pdf_sha256=pdf_sha256,
        pdf=bytes(sent.pdf),
        po_number=po_number,
        purchase_order=purchase_order,
        needs_second=needs_second,
    )
    if needs_second:
        transition = policy.require(
            actor, Action.ACCEPT, revision, to=RevisionStatus.AWAITING_SECOND
        )
        revision.status = transition.target
        revision.save(update_fields=["status"])
        _audit(
            revision,
            AuditAction.QUOTE_FIRST_ACCEPTANCE,
            actor=actor,
            detail=f"accepted by {actor.display_name}, awaiting a second billing contact",
            after={"revision": revision.number, "po_number": po_number, "pdf_sha256": pdf_sha256},
            request=request,
        )
        notifications.second_acceptance_needed(revision, first=actor)
        notifications.first_acceptance_to_representatives(revision, first=actor)
        return acceptance
    _record_decision(
        revision,
        actor=actor,
        action=Action.ACCEPT,
        comment="",
        request=request,
        po_number=po_number,
        pdf_sha256=pdf_sha256,
    )
    _keep_stamped_copy(revision, acceptance)
    notifications.acceptance_confirmed(revision, acceptance, signer=actor)
    notifications.contacts_told_of_decision(revision, except_user=actor)
    return acceptance


def _keep_stamped_copy(revision: QuoteRevision, acceptance: Acceptance) -> None:
    # The stamped copy is made once the status is accepted (after the second signature, where
    # one is needed, so the stamp names both), by a job after the commit: rendering it is no
    # part of accepting, and the person accepting should not wait for it.
    transaction.on_commit(partial(_stamp_after_commit, acceptance.pk))


def _stamp_after_commit(acceptance_id: int) -> None:
    # Whatever goes wrong here, the acceptance is committed. A job that is never enqueued
    # (broker down) or lost is no loss: the periodic sweep, or the first download, makes it.
    from .jobs import stamp_acceptance

    try:
        stamp_acceptance.delay(acceptance_id)
    except Exception:
        logger.exception("The stamped copy of acceptance %s is left to the sweep", acceptance_id)


@transaction.atomic
def revision_second_accept(
    *,
    revision: QuoteRevision,
    actor: User,
    pdf_sha256: str,
    request: HttpRequest | None = None,
) -> Acceptance:
    """A second billing contact accepts what the first one accepted: the same revision, and
    the same document, which they name by its SHA-256 (``pdf_sha256``, shown to them). Only
    then is the quote accepted."""
    revision = _lock(revision)
    policy.require(actor, Action.ACCEPT, revision)
    first = policy.first_signer_id(revision)
    if first is None:
        raise QuoteConflict("This quote is not waiting for a second acceptance.")
    if first == actor.pk:
        raise ValidationError(
            "You gave the first acceptance: a second, different billing contact of your account "
            "must accept it too."
        )
    acceptance = Acceptance.objects.select_for_update().get(revision=revision)
    if pdf_sha256 != acceptance.pdf_sha256:
        raise ValidationError(
            "The document you confirmed is not the one the first contact accepted (its SHA-256 "
            "differs). Reload the page and check it again; nothing was changed."
        )
    acceptance.second_accepted_by = actor
    acceptance.second_accepted_at = timezone.now()
    acceptance.second_ip_address = client_ip(request)
    acceptance.save(update_fields=["second_accepted_by", "second_accepted_at", "second_ip_address"])
    _record_decision(
        revision,
        actor=actor,
        action=Action.ACCEPT,
        comment="",
        request=request,
        first_accepted_by=acceptance.accepted_by.username,
        po_number=acceptance.po_number,
        pdf_sha256=acceptance.pdf_sha256,
    )
    _keep_stamped_copy(revision, acceptance)
    notifications.acceptance_confirmed(revision, acceptance, signer=actor)
    notifications.contacts_told_of_decision(revision, except_user=actor)
    return acceptance


def _end_two_signature_round(
    revision: QuoteRevision, *, actor: User | None, request: HttpRequest | None
) -> None:
    """A first acceptance still awaiting its second signature is ended: its record goes (the
    audit keeps who accepted which document), so the PO it was charged to is no longer drawn
    on and a later revision can be accepted afresh."""
    if policy.first_signer_id(revision, revision.status) is None:
        return
    acceptance = Acceptance.objects.select_related("accepted_by").get(revision=revision)
    _audit(
        revision,
        AuditAction.QUOTE_FIRST_ACCEPTANCE,
        actor=actor,
        detail=f"the first acceptance by {acceptance.accepted_by.display_name} ended unconfirmed",
        before={
            "accepted_by": acceptance.accepted_by.username,
            "pdf_sha256": acceptance.pdf_sha256,
            "po_number": acceptance.po_number,
        },
        request=request,
    )
    acceptance.delete()


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
    _end_two_signature_round(revision, actor=actor, request=request)
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
    if revision.status not in policy.UNDECIDED or not policy.is_expired(revision, now):
        return False
    _end_two_signature_round(revision, actor=None, request=None)
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
        title=current.title or quote.title,
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
        # Earlier approvals are not copied: submitting reads them rule by rule from the
        # revisions they were given on (``selectors.approval_plan``).
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


# --- the kept documents --------------------------------------------------------------------------
# A file whose hash a person is shown is kept, and served from then on: the sent PDF (rendered
# when the revision is sent) and the stamped copy (rendered by a job after the acceptance). Where
# one is missing (kept before this was, or its job not run yet), the first reader makes it and
# keeps it, unless another got there first: then both serve the first one kept. No lock is held
# while reportlab renders.


def revision_sent_pdf(*, revision: QuoteRevision) -> SentPdf:
    """The PDF of a sent revision as its billing contacts read and accept it (sent, current,
    undecided or accepted once: ``revision_document_status`` says sent).

    Revisions sent before the PDF was kept get it now: the first acceptance's bytes where there
    is one (so that the second contact's download is what the first accepted), else the
    document as it reads now, which every later download and the acceptance then share."""
    kept = SentPdf.objects.filter(revision=revision).first()
    if kept is not None:
        return kept
    accepted = Acceptance.objects.filter(revision=revision).values_list("pdf", flat=True).first()
    pdf = bytes(accepted) if accepted else b""
    if not pdf:
        if revision_document_status(revision) != RevisionStatus.SENT:
            # A watermarked document is not what was sent; callers ask only for sendable ones.
            raise ValueError(f"{revision} is not sent, current and undecided")
        pdf = revision_pdf(_with_lines(revision))
    SentPdf.objects.bulk_create(
        [SentPdf(revision=revision, pdf=pdf, sha256=sha256(pdf))], ignore_conflicts=True
    )
    return SentPdf.objects.get(revision=revision)


def acceptance_stamp(*, acceptance: Acceptance) -> Acceptance | None:
    """Makes and keeps the stamped copy of an accepted revision, once: a copy kept already is
    left as it is. Returns the acceptance with its copy, or None while the revision is not
    accepted (awaiting its second contact: the stamp would name one signer). Idempotent: the
    job (run twice, or retried), the sweep and the downloads call it."""
    if acceptance.stamped_pdf_sha256:
        return acceptance
    revision = _with_lines(acceptance.revision)
    if revision.status != RevisionStatus.ACCEPTED:
        return None
    stamped = revision_pdf(revision, stamped=True)
    # Kept only if none was meanwhile: the first copy kept is the one whose hash is printed.
    Acceptance.objects.filter(pk=acceptance.pk, stamped_pdf_sha256="").update(
        stamped_pdf=stamped, stamped_pdf_sha256=sha256(stamped)
    )
    return Acceptance.objects.filter(pk=acceptance.pk).first()


# How many missing stamped copies one run of the sweep makes: a bounded run (a few seconds of
# a worker) every few minutes, however many acceptances predate the kept copies.
STAMP_SWEEP_BATCH = 50


def acceptance_stamp_missing(*, limit: int = STAMP_SWEEP_BATCH) -> tuple[int, int]:
    """The sweep behind the stamp job: makes up to ``limit`` missing stamped copies of accepted
    revisions, the latest acceptances first (a job that was lost; then acceptances from before
    copies were kept). Returns (made, still missing)."""
    missing = Acceptance.objects.filter(
        stamped_pdf_sha256="", revision__status=RevisionStatus.ACCEPTED
    )
    ids = list(missing.order_by("-accepted_at", "-pk").values_list("pk", flat=True)[:limit])
    made = 0
    for acceptance in Acceptance.objects.filter(pk__in=ids):
        stamped = acceptance_stamp(acceptance=acceptance)
        made += stamped is not None
    return made, missing.count()


def revision_download(*, revision: QuoteRevision, original: bool) -> bytes:
    """The bytes of a revision's PDF download: the file the quote page names, and whose
    SHA-256 it prints where it prints one.

    * ``original``: the PDF as accepted, the very bytes kept at acceptance (the caller checked
      there is an acceptance).
    * An accepted revision: its stamped copy, made now if its job has not run yet.
    * A revision the customer may accept (sent, current, undecided, or accepted once): the PDF
      as sent.
    * Anything else (a draft, or a revision superseded, expired, withdrawn, rejected): rendered
      now, its status across every page; nobody can accept it, so nothing hashes it."""
    acceptance = getattr(revision, "acceptance", None)
    if original:
        if acceptance is None:
            raise Acceptance.DoesNotExist(f"{revision} was not accepted")
        if acceptance.pdf:
            return bytes(acceptance.pdf)  # the very bytes accepted, whatever changed since
        # A copied acceptance of the scale seed keeps no bytes: the document as accepted.
        return revision_pdf(_with_lines(revision))
    status = revision_document_status(revision)
    if status == RevisionStatus.ACCEPTED and acceptance is not None:
        stamped = acceptance_stamp(acceptance=acceptance)
        if stamped is not None:
            return bytes(stamped.stamped_pdf)
    if status == RevisionStatus.SENT:
        return bytes(revision_sent_pdf(revision=revision).pdf)
    return revision_pdf(_with_lines(revision), stamped=True)


def _with_lines(revision: QuoteRevision) -> QuoteRevision:
    """``revision`` read again for rendering: its lines, quote, account and author in three
    queries."""
    return selectors.revision_with_lines(revision)
