"""Writes for purchase orders. Keyword-only, atomic, audited; mail leaves on commit.

Each function is one whole business step: it locks what it changes, asks ``policy`` whether the
actor may do it now (the right on the account first, then the status table), writes, records the
audit event with before and after values and queues the mail. The PO-change steps are run by the
workflow layer inside its task helper; drawing on a PO is the quote acceptance's own step.

The PO row is always locked (``select_for_update``) before its remaining amount is read to
decide something: an acceptance drawing on it and an approval lowering its amount wait for each
other, so neither can overrun the PO.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from contacts.models import Account, User
from quotes import policy as quote_policy
from quotes import services as quote_services
from quotes.models import Acceptance, QuoteRevision
from quotes.money import MAX_AMOUNT, format_money, minor_unit, round_money

from . import documents, notifications, policy
from .models import ChangeStatus, PurchaseOrder, PurchaseOrderChange, PurchaseOrderDocument
from .policy import Action, POConflict

__all__ = ["NewPurchaseOrder", "POConflict"]


@dataclass(frozen=True)
class NewPurchaseOrder:
    """A PO as the customer enters it (on the ledger or while accepting a quote)."""

    number: str
    amount: Decimal
    valid_from: date
    valid_to: date
    document: UploadedFile | None = None


def snapshot(po: PurchaseOrder) -> dict[str, Any]:
    """The PO's editable values as the audit trail and the change history keep them."""
    return {
        "number": po.number,
        "amount": str(round_money(po.amount, po.currency)),
        "valid_from": po.valid_from.isoformat(),
        "valid_to": po.valid_to.isoformat(),
        "document": po.document_id,
        "version": po.version,
    }


def drawn(po: PurchaseOrder) -> Decimal:
    """What accepted quotes charged to ``po`` add up to, summed by the database."""
    total = Acceptance.objects.filter(purchase_order=po).aggregate(t=Sum("revision__total"))["t"]
    return round_money(total or Decimal(0), po.currency)


def _lock(po_pk: int) -> PurchaseOrder:
    return PurchaseOrder.objects.select_for_update().select_related("account").get(pk=po_pk)


# Codes of the refusals that concern one value, so a form can show each at its field.
NUMBER, AMOUNT, VALID_TO = "number", "amount", "valid_to"
# A refusal of the purchase order as a whole (which one, or none where one is required).
CHOICE = "purchase_order"


def _clean_amount(amount: Decimal, currency: str) -> Decimal:
    places = minor_unit(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError(
            f"{currency} amounts have {places} decimal place{'s' if places != 1 else ''}."
            if places
            else f"{currency} amounts have no decimal places.",
            code=AMOUNT,
        )
    if amount <= 0:
        raise ValidationError("A purchase order's amount must be more than zero.", code=AMOUNT)
    if amount > MAX_AMOUNT:
        raise ValidationError("That amount is too large (at most 12 digits).", code=AMOUNT)
    return round_money(amount, currency)


def _clean_values(
    *, account: Account, number: str, valid_from: date, valid_to: date, exclude: int | None = None
) -> str:
    number = number.strip()
    if not number:
        raise ValidationError("Enter the purchase order's number.", code=NUMBER)
    if len(number) > 60:
        raise ValidationError("A purchase order number has at most 60 characters.", code=NUMBER)
    if valid_to < valid_from:
        raise ValidationError("The PO's end date is before its start date.", code=VALID_TO)
    taken = PurchaseOrder.objects.filter(account=account, number=number)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError(f"Your account already has a purchase order {number}.", code=NUMBER)
    return number


def _document(
    *, po: PurchaseOrder, checked: documents.CheckedFile, actor: User, request: HttpRequest | None
) -> PurchaseOrderDocument:
    # The file is written before the rows commit; a rolled-back step leaves an unreferenced file
    # under a random name in the private root, never a row pointing at a missing file.
    document = PurchaseOrderDocument.objects.create(
        purchase_order=po,
        stored_name=documents.store(checked),
        original_name=checked.original_name,
        size=len(checked.content),
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    audit_record(
        action=AuditAction.PO_DOCUMENT_UPLOADED,
        actor=actor,
        account=po.account,
        obj=po,
        after={"document": document.pk, "name": document.original_name, "sha256": checked.sha256},
        request=request,
    )
    return document


@transaction.atomic
def purchase_order_create(
    *,
    account: Account,
    actor: User,
    new: NewPurchaseOrder,
    from_acceptance: bool = False,
    request: HttpRequest | None = None,
) -> PurchaseOrder:
    """A billing contact enters a PO on the account's ledger (or while accepting a quote)."""
    policy.require_right(actor, Action.CREATE, account)
    checked = documents.check_upload(new.document) if new.document is not None else None
    number = _clean_values(
        account=account, number=new.number, valid_from=new.valid_from, valid_to=new.valid_to
    )
    amount = _clean_amount(new.amount, account.currency)
    try:
        with transaction.atomic():
            po = PurchaseOrder.objects.create(
                account=account,
                number=number,
                currency=account.currency,
                amount=amount,
                valid_from=new.valid_from,
                valid_to=new.valid_to,
                created_from_acceptance=from_acceptance,
                created_by=actor,
            )
    except IntegrityError:
        # Entered twice at the same moment: the other one took the number.
        raise ValidationError(
            f"Your account already has a purchase order {number}.", code=NUMBER
        ) from None
    audit_record(
        action=AuditAction.PO_CREATED,
        actor=actor,
        account=account,
        obj=po,
        after={**snapshot(po), "created_from_acceptance": from_acceptance},
        request=request,
    )
    if checked is not None:
        po.document = _document(po=po, checked=checked, actor=actor, request=request)
        po.save(update_fields=["document"])
    return po


def _check_draw(po: PurchaseOrder, revision: QuoteRevision, on: date) -> None:
    """Refuses a draw the PO (locked by the caller) cannot cover, saying why."""
    if not (po.valid_from <= on <= po.valid_to):
        raise ValidationError(
            f"Purchase order {po.number} is valid from {po.valid_from:%d %B %Y} to "
            f"{po.valid_to:%d %B %Y}, which does not cover today ({on:%d %B %Y}). Choose another "
            "purchase order or enter a new one; nothing was saved.",
            code=CHOICE,
        )
    total = round_money(revision.total, po.currency)
    remaining = round_money(po.amount, po.currency) - drawn(po)
    if total > remaining:
        raise ValidationError(
            f"Purchase order {po.number} has {format_money(remaining, po.currency)} left, less "
            f"than this quote's total of {format_money(total, po.currency)}. Choose another "
            "purchase order or enter a new one; nothing was saved.",
            code=CHOICE,
        )


@transaction.atomic
def quote_accept_with_po(
    *,
    revision: QuoteRevision,
    actor: User,
    purchase_order: PurchaseOrder | None = None,
    new: NewPurchaseOrder | None = None,
    request: HttpRequest | None = None,
) -> Acceptance:
    """A billing contact accepts a sent quote, charging it to a PO of the account: one chosen
    from the ledger (``purchase_order``) or one entered in the same step (``new``). Overrun,
    expired or not-yet-valid POs are refused and nothing is saved."""
    revision = QuoteRevision.objects.select_related("quote__account").get(pk=revision.pk)
    account = revision.quote.account
    # The quote's own refusals (decided, expired, superseded) come before the PO's.
    quote_policy.require(actor, quote_policy.Action.ACCEPT, revision)
    if purchase_order is None and new is None:
        return quote_services.revision_accept(revision=revision, actor=actor, request=request)
    if new is not None:
        po = purchase_order_create(
            account=account, actor=actor, new=new, from_acceptance=True, request=request
        )
    else:
        assert purchase_order is not None
        if purchase_order.account_id != account.pk:
            raise ValidationError("Choose a purchase order of this account.", code=CHOICE)
        po = purchase_order
    po = _lock(po.pk)
    try:
        policy.require_po(actor, Action.DRAW, po)
    except POConflict as exc:
        # Shown on the quote page like any other PO refusal: the quote itself did not move on.
        raise ValidationError(str(exc), code=CHOICE) from None
    _check_draw(po, revision, policy.today_for(account))
    return quote_services.revision_accept(
        revision=revision, actor=actor, purchase_order=po, request=request
    )


# --- change orders ---------------------------------------------------------------------------


def _proposed(change: PurchaseOrderChange) -> dict[str, Any]:
    po = change.purchase_order
    return {
        "number": change.number,
        "amount": str(round_money(change.amount, po.currency)),
        "valid_from": change.valid_from.isoformat(),
        "valid_to": change.valid_to.isoformat(),
        "document": change.document_id or po.document_id,
    }


def _not_below_drawn(po: PurchaseOrder, amount: Decimal) -> None:
    used = drawn(po)
    if amount < used:
        raise ValidationError(
            f"Accepted quotes already draw {format_money(used, po.currency)} on purchase order "
            f"{po.number}: its amount cannot be lower than that."
        )


def _audit_change(
    change: PurchaseOrderChange,
    action: AuditAction,
    *,
    actor: User,
    before: dict[str, Any],
    after: dict[str, Any],
    request: HttpRequest | None,
) -> None:
    po = change.purchase_order
    audit_record(
        action=action,
        actor=actor,
        account=po.account,
        obj=po,
        before=before,
        after=after,
        message=f"change {change.pk} of PO {po.number}",
        request=request,
    )


@transaction.atomic
def po_change_propose(
    *,
    purchase_order: PurchaseOrder,
    actor: User,
    base_version: int,
    number: str,
    amount: Decimal,
    valid_from: date,
    valid_to: date,
    reason: str,
    document: UploadedFile | None = None,
    request: HttpRequest | None = None,
) -> PurchaseOrderChange:
    """A billing contact proposes an edit of the PO as they saw it (``base_version``)."""
    po = _lock(purchase_order.pk)
    policy.require_po(actor, Action.PROPOSE_CHANGE, po)
    if base_version != po.version:
        raise POConflict(
            f"Purchase order {po.number} was changed since you opened it: check its current "
            "values and propose your change again. Nothing was saved."
        )
    if not reason.strip():
        raise ValidationError("Say why the purchase order should change.")
    checked = documents.check_upload(document) if document is not None else None
    number = _clean_values(
        account=po.account,
        number=number,
        valid_from=valid_from,
        valid_to=valid_to,
        exclude=po.pk,
    )
    amount = _clean_amount(amount, po.currency)
    _not_below_drawn(po, amount)
    unchanged = (number, amount, valid_from, valid_to) == (
        po.number,
        round_money(po.amount, po.currency),
        po.valid_from,
        po.valid_to,
    )
    if unchanged and checked is None:
        raise ValidationError("The proposal changes nothing: edit a value or add a document.")
    change = PurchaseOrderChange(
        purchase_order=po,
        number=number,
        amount=amount,
        valid_from=valid_from,
        valid_to=valid_to,
        reason=reason.strip(),
        base_version=po.version,
        proposed_by=actor,
        before=snapshot(po),
    )
    if checked is not None:
        change.document = _document(po=po, checked=checked, actor=actor, request=request)
    change.after = _proposed(change)
    change.save()
    _audit_change(
        change,
        AuditAction.PO_CHANGE_PROPOSED,
        actor=actor,
        before=change.before,
        after={**change.after, "reason": change.reason},
        request=request,
    )
    notifications.change_proposed(change)
    return change


def _lock_change(change: PurchaseOrderChange) -> PurchaseOrderChange:
    return (
        PurchaseOrderChange.objects.select_for_update()
        .select_related("purchase_order__account", "proposed_by")
        .get(pk=change.pk)
    )


@transaction.atomic
def po_change_approve(
    *,
    change: PurchaseOrderChange,
    actor: User,
    comment: str = "",
    request: HttpRequest | None = None,
) -> str:
    """A representative of the account or finance approves: the edit is applied if the PO is
    still at the version it was proposed against; otherwise the change is marked in conflict
    and handed back to the proposer, nothing applied. Returns the change's new status."""
    change = _lock_change(change)
    policy.require_change(actor, Action.APPROVE, change)
    # The PO's lock is held to the end: a concurrent approval or acceptance waits for it.
    po = _lock(change.purchase_order_id)
    change.purchase_order = po
    now = timezone.now()
    if po.version != change.base_version:
        policy.require_change(actor, Action.APPROVE, change, to=ChangeStatus.CONFLICTED)
        change.status = ChangeStatus.CONFLICTED
        change.conflicted_at = now
        change.comment = comment
        change.save(update_fields=["status", "conflicted_at", "comment"])
        _audit_change(
            change,
            AuditAction.PO_CHANGE_CONFLICTED,
            actor=actor,
            before={"base_version": change.base_version},
            after={"current_version": po.version, **snapshot(po)},
            request=request,
        )
        notifications.change_conflicted(change)
        return change.status
    transition = policy.require_change(actor, Action.APPROVE, change, to=ChangeStatus.APPROVED)
    # Checked again now: quotes may have been accepted on the PO since the proposal.
    _not_below_drawn(po, change.amount)
    _clean_values(
        account=po.account,
        number=change.number,
        valid_from=change.valid_from,
        valid_to=change.valid_to,
        exclude=po.pk,
    )
    before = snapshot(po)
    po.number = change.number
    po.amount = change.amount
    po.valid_from = change.valid_from
    po.valid_to = change.valid_to
    if change.document_id:
        po.document_id = change.document_id
    po.version += 1
    po.save(update_fields=["number", "amount", "valid_from", "valid_to", "document", "version"])
    change.status = transition.target
    change.decided_by = actor
    change.decided_at = now
    change.comment = comment
    change.before = before
    change.after = snapshot(po)
    change.save(update_fields=["status", "decided_by", "decided_at", "comment", "before", "after"])
    _audit_change(
        change,
        AuditAction.PO_CHANGE_APPROVED,
        actor=actor,
        before=before,
        after={**change.after, "comment": comment},
        request=request,
    )
    notifications.change_decided(change)
    return change.status


@transaction.atomic
def po_change_reject(
    *,
    change: PurchaseOrderChange,
    actor: User,
    comment: str,
    request: HttpRequest | None = None,
) -> None:
    change = _lock_change(change)
    transition = policy.require_change(actor, Action.REJECT, change)
    if not comment.strip():
        raise ValidationError("Say why the change is rejected; the proposer will read it.")
    change.status = transition.target
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.comment = comment.strip()
    change.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    _audit_change(
        change,
        AuditAction.PO_CHANGE_REJECTED,
        actor=actor,
        before={"status": ChangeStatus.PENDING},
        after={"status": change.status, "comment": change.comment, **change.after},
        request=request,
    )
    notifications.change_decided(change)


@transaction.atomic
def po_change_rebase(
    *, change: PurchaseOrderChange, actor: User, request: HttpRequest | None = None
) -> None:
    """A billing contact re-proposes a change in conflict, with the same values, against the
    PO's current version: it goes back to review."""
    change = _lock_change(change)
    transition = policy.require_change(actor, Action.REBASE, change)
    po = _lock(change.purchase_order_id)
    change.purchase_order = po
    policy.require_po(actor, Action.PROPOSE_CHANGE, po)
    _not_below_drawn(po, change.amount)
    _clean_values(
        account=po.account,
        number=change.number,
        valid_from=change.valid_from,
        valid_to=change.valid_to,
        exclude=po.pk,
    )
    old_base = change.base_version
    change.status = transition.target
    change.base_version = po.version
    change.before = snapshot(po)
    change.after = _proposed(change)
    change.save(update_fields=["status", "base_version", "before", "after"])
    _audit_change(
        change,
        AuditAction.PO_CHANGE_REBASED,
        actor=actor,
        before={"base_version": old_base},
        after={"base_version": po.version, **change.after},
        request=request,
    )
    notifications.change_proposed(change)


@transaction.atomic
def po_change_withdraw(
    *, change: PurchaseOrderChange, actor: User, request: HttpRequest | None = None
) -> None:
    """A billing contact gives up a change in conflict instead of re-basing it."""
    change = _lock_change(change)
    transition = policy.require_change(actor, Action.WITHDRAW, change)
    change.status = transition.target
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    _audit_change(
        change,
        AuditAction.PO_CHANGE_WITHDRAWN,
        actor=actor,
        before={"status": ChangeStatus.CONFLICTED},
        after={"status": change.status},
        request=request,
    )


@transaction.atomic
def po_close(
    *,
    purchase_order: PurchaseOrder,
    actor: User,
    reason: str,
    request: HttpRequest | None = None,
) -> PurchaseOrder:
    """A billing contact closes a PO: no quote can be charged to it any more; what was drawn
    stays drawn. Refused while a change of it waits (for review, or to be re-based): that change
    would apply to a PO nobody can use."""
    po = _lock(purchase_order.pk)
    transition = policy.require_po(actor, Action.CLOSE, po)
    if not reason.strip():
        raise ValidationError("Say why the purchase order is closed; it stays in its history.")
    waiting = PurchaseOrderChange.objects.filter(
        purchase_order=po, status__in=[ChangeStatus.PENDING, ChangeStatus.CONFLICTED]
    ).exists()
    if waiting:
        raise POConflict(
            f"A change of purchase order {po.number} is waiting: withdraw it, or wait for its "
            "review, before closing the purchase order. Nothing was changed."
        )
    before = {**snapshot(po), "status": policy.effective_status(po)}
    po.status = transition.target
    po.version += 1
    po.save(update_fields=["status", "version"])
    audit_record(
        action=AuditAction.PO_CLOSED,
        actor=actor,
        account=po.account,
        obj=po,
        before=before,
        after={**snapshot(po), "status": po.status},
        message=reason.strip()[:500],
        request=request,
    )
    notifications.po_closed(po, actor=actor, reason=reason.strip())
    return po
