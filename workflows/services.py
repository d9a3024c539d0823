"""The quote's human steps, each one line of routing around one quote service.

A step is: check the actor's right (so that someone without it gets the same 404 whatever state
the quote is in), find the quote's open process, and let ``tasks.run_task`` execute the task
with the quote service that does the whole business step. Nothing here decides business rules;
``quotes.policy`` and ``quotes.services`` do.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from viewflow.workflow.status import PROCESS

from contacts import changes
from contacts import services as contact_services
from contacts.models import Account, ContactChange, User
from purchase_orders import policy as po_policy
from purchase_orders import services as po_services
from purchase_orders.models import PurchaseOrder, PurchaseOrderChange
from purchase_orders.services import NewPurchaseOrder
from quotes import policy
from quotes import services as quote_services
from quotes.models import Quote, QuoteRevision
from quotes.policy import Action, QuoteConflict

from .flows import NEXT_STEP, ContactChangeFlow, POChangeFlow, QuoteFlow
from .models import ContactChangeProcess, POChangeProcess, QuoteProcess
from .nodes import AccountTask
from .tasks import TaskConflict, locked_message, open_task, run_task, taken_message

T = TypeVar("T")
LOCKED_MESSAGE = locked_message("quote")
TAKEN_MESSAGE = taken_message("quote")


def _current(quote: Quote) -> QuoteRevision:
    quote.refresh_from_db(fields=["current_revision"])
    assert quote.current_revision_id is not None  # every quote is created with revision 1
    return QuoteRevision.objects.select_related("quote__account").get(pk=quote.current_revision_id)


def _open_process(quote: Quote) -> QuoteProcess | None:
    return QuoteProcess.objects.filter(quote=quote, status=PROCESS.NEW).order_by("-pk").first()


def _step(
    *,
    quote: Quote,
    node: AccountTask,
    actor: User | None,
    action: Action,
    call: Callable[[QuoteRevision], T],
    request: HttpRequest | None = None,
) -> T:
    """Runs ``call(current revision)`` as the open ``node`` task of the quote's process. With
    no such task, the quote's state says why (decided, expired, superseded…)."""
    revision = _current(quote)
    policy.require_right(actor, action, revision)
    process = _open_process(quote)
    if process is None or open_task(process_pk=process.pk, node=node) is None:
        policy.require(actor, action, revision)  # the domain's own, precise refusal
        raise TaskConflict(TAKEN_MESSAGE)
    return run_task(
        node=node,
        process_pk=process.pk,
        actor=actor,
        right=policy.RIGHTS[action] or None,
        step=lambda: call(_current(quote)),
        what="quote",
        request=request,
    )


def quote_submit(*, quote: Quote, actor: User, request: HttpRequest | None = None) -> None:
    """The representative hands the current draft on: it starts the quote's process, or ends
    the open 'revise' task of it."""
    revision = _current(quote)
    policy.require_right(actor, Action.SUBMIT, revision)
    process = _open_process(quote)
    if process is not None:
        _step(
            quote=quote,
            node=QuoteFlow.revise,
            actor=actor,
            action=Action.SUBMIT,
            call=lambda rev: quote_services.revision_submit(
                revision=rev, actor=actor, request=request
            ),
            request=request,
        )
        return
    with transaction.atomic():
        quote_services.revision_submit(revision=revision, actor=actor, request=request)
        QuoteFlow.start.run(quote=revision.quote)


# Each tier's review task, by the action that approves or sends back at that tier.
REVIEW_NODES: dict[Action, AccountTask] = {
    Action.APPROVE: QuoteFlow.deal_desk_review,
    Action.SEND_BACK: QuoteFlow.deal_desk_review,
    Action.FINANCE_APPROVE: QuoteFlow.finance_review,
    Action.FINANCE_SEND_BACK: QuoteFlow.finance_review,
}


def quote_approve(
    *,
    quote: Quote,
    actor: User,
    comment: str = "",
    action: Action = Action.APPROVE,
    request: HttpRequest | None = None,
) -> str:
    """A tier approves (deal desk with ``Action.APPROVE``, finance with
    ``Action.FINANCE_APPROVE``): the next tier is asked, or the quote goes to the customer in
    the same step. Returns the revision's new status."""
    return _step(
        quote=quote,
        node=REVIEW_NODES[action],
        actor=actor,
        action=action,
        call=lambda rev: quote_services.revision_approve(
            revision=rev, actor=actor, comment=comment, action=action, request=request
        ),
        request=request,
    )


def quote_send_back(
    *,
    quote: Quote,
    actor: User,
    comment: str,
    action: Action = Action.SEND_BACK,
    request: HttpRequest | None = None,
) -> None:
    """A tier sends the quote back to the representative (``Action.SEND_BACK`` or
    ``Action.FINANCE_SEND_BACK``)."""
    _step(
        quote=quote,
        node=REVIEW_NODES[action],
        actor=actor,
        action=action,
        call=lambda rev: quote_services.revision_send_back(
            revision=rev, actor=actor, comment=comment, action=action, request=request
        ),
        request=request,
    )


def _customer_node(quote: Quote) -> AccountTask:
    """The customer's task the quote waits on: the first decision, or the second acceptance.
    Read before the lock; if the quote moves on meanwhile, ``run_task`` finds no such open
    task and the step is a 409."""
    if NEXT_STEP.get(_current(quote).status) == "second_acceptance":
        return QuoteFlow.second_acceptance
    return QuoteFlow.customer_decision


def _expire_if_due(quote: Quote) -> None:
    # It ran out before the hourly job: end it now, so the customer is told it expired.
    revision = _current(quote)
    if policy.effective_status(revision) != revision.status:
        quote_expire(quote=quote)


def quote_accept(
    *,
    quote: Quote,
    actor: User,
    purchase_order: PurchaseOrder | None = None,
    new_po: NewPurchaseOrder | None = None,
    request: HttpRequest | None = None,
) -> None:
    """A billing contact accepts, charging the quote to a PO of the ledger or to a new one
    entered in the same step (required where the account requires a PO). Above the account's
    two-signature amount this is the first acceptance; ``quote_second_accept`` gives the
    second."""
    _expire_if_due(quote)
    _step(
        quote=quote,
        node=QuoteFlow.customer_decision,
        actor=actor,
        action=Action.ACCEPT,
        call=lambda rev: po_services.quote_accept_with_po(
            revision=rev,
            actor=actor,
            purchase_order=purchase_order,
            new=new_po,
            request=request,
        ),
        request=request,
    )


def quote_second_accept(
    *, quote: Quote, actor: User, pdf_sha256: str, request: HttpRequest | None = None
) -> None:
    """A second billing contact accepts the document the first one accepted (named by its
    SHA-256): only now is the quote accepted."""
    _expire_if_due(quote)
    _step(
        quote=quote,
        node=QuoteFlow.second_acceptance,
        actor=actor,
        action=Action.ACCEPT,
        call=lambda rev: quote_services.revision_second_accept(
            revision=rev, actor=actor, pdf_sha256=pdf_sha256, request=request
        ),
        request=request,
    )


def quote_decline(
    *,
    quote: Quote,
    actor: User,
    action: Action,
    comment: str,
    request: HttpRequest | None = None,
) -> None:
    """A billing contact rejects (``Action.REJECT``) or requests changes
    (``Action.REQUEST_CHANGES``), at the first decision or instead of the second acceptance,
    which ends the two-signature round."""
    _expire_if_due(quote)
    _step(
        quote=quote,
        node=_customer_node(quote),
        actor=actor,
        action=action,
        call=lambda rev: quote_services.revision_decline(
            revision=rev, actor=actor, action=action, comment=comment, request=request
        ),
        request=request,
    )


def quote_withdraw(
    *, quote: Quote, actor: User, reason: str, request: HttpRequest | None = None
) -> None:
    """The representative withdraws the sent revision: the customer's decision task ends."""
    _step(
        quote=quote,
        node=_customer_node(quote),
        actor=actor,
        action=Action.WITHDRAW,
        call=lambda rev: quote_services.revision_withdraw(
            revision=rev, actor=actor, reason=reason, request=request
        ),
        request=request,
    )


def quote_expire(*, quote: Quote, now: datetime | None = None) -> bool:
    """Ends a sent revision whose validity date has passed, and its process. Idempotent.
    ``now`` defaults to the real clock."""
    revision = _current(quote)
    if policy.effective_status(revision, now) == revision.status:
        return False
    try:
        return _step(
            quote=quote,
            node=_customer_node(quote),
            actor=None,
            action=Action.EXPIRE,
            call=lambda rev: quote_services.revision_expire(revision=rev, now=now),
        )
    except (QuoteConflict, TaskConflict):
        return False


# --- billing-contact changes ---------------------------------------------------------------------


def contact_change_propose(
    *,
    account: Account,
    actor: User,
    password: str,
    kind: str,
    target_id: int | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    login_id: str = "",
    request: HttpRequest | None = None,
) -> ContactChange:
    """A billing contact proposes, with their password re-entered: the change and its process
    start together, or neither. Someone without the right is refused before the password is
    looked at, so they learn nothing from it."""
    changes.require_right(actor, changes.Action.PROPOSE, account)
    # Outside the transaction: a wrong password is recorded (and counted) even though the
    # proposal is refused.
    contact_services.reauthenticate(actor=actor, password=password, request=request)
    with transaction.atomic():
        change = contact_services.contact_change_propose(
            account=account,
            actor=actor,
            kind=kind,
            target_id=target_id,
            first_name=first_name,
            last_name=last_name,
            email=email,
            login_id=login_id,
            request=request,
        )
        ContactChangeFlow.start.run(change=change)
    return change


def contact_change_decide(
    *,
    change: ContactChange,
    actor: User,
    action: changes.Action,
    comment: str = "",
    request: HttpRequest | None = None,
) -> ContactChange:
    """The representative confirms (``Action.CONFIRM``) or declines (``Action.DECLINE``) as
    the open task of the change's process; a billing contact withdrawing it
    (``Action.WITHDRAW``) ends that same task, with their own right."""
    changes.require_right(actor, action, change.account)
    process = (
        ContactChangeProcess.objects.filter(change=change, status=PROCESS.NEW)
        .order_by("-pk")
        .first()
    )
    node = ContactChangeFlow.confirm
    if process is None or open_task(process_pk=process.pk, node=node) is None:
        change.refresh_from_db(fields=["status"])
        changes.require(actor, action, change)  # the domain's own, precise refusal
        raise TaskConflict(taken_message("contact change"))

    def step() -> ContactChange:
        if action == changes.Action.CONFIRM:
            return contact_services.contact_change_confirm(
                change=change, actor=actor, comment=comment, request=request
            )
        if action == changes.Action.DECLINE:
            return contact_services.contact_change_decline(
                change=change, actor=actor, comment=comment, request=request
            )
        return contact_services.contact_change_withdraw(change=change, actor=actor, request=request)

    return run_task(
        node=node,
        process_pk=process.pk,
        actor=actor,
        right=changes.RIGHTS[action],
        step=step,
        what="contact change",
        request=request,
    )


# --- PO change orders ------------------------------------------------------------------------

PO_CHANGE_LOCKED = locked_message("purchase-order change")
PO_CHANGE_TAKEN = taken_message("purchase-order change")


def _open_change_process(change: PurchaseOrderChange) -> POChangeProcess | None:
    return POChangeProcess.objects.filter(change=change, status=PROCESS.NEW).order_by("-pk").first()


def _change_step(
    *,
    change: PurchaseOrderChange,
    node: AccountTask,
    actor: User,
    action: po_policy.Action,
    call: Callable[[PurchaseOrderChange], T],
    request: HttpRequest | None = None,
) -> T:
    """Runs ``call(change)`` as the open ``node`` task of the change's process. With no such
    task, the change's state says why (already decided…)."""
    po_policy.require_right(actor, action, change.purchase_order.account)
    process = _open_change_process(change)
    if process is None or open_task(process_pk=process.pk, node=node) is None:
        change.refresh_from_db()
        po_policy.require_change(actor, action, change)  # the domain's own, precise refusal
        raise TaskConflict(PO_CHANGE_TAKEN)
    return run_task(
        node=node,
        process_pk=process.pk,
        actor=actor,
        step=lambda: call(change),
        what="purchase-order change",
        request=request,
    )


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
    """A billing contact proposes a change: it is recorded and its review process starts, in
    one transaction."""
    po_policy.require_right(actor, po_policy.Action.PROPOSE_CHANGE, purchase_order.account)
    with transaction.atomic():
        change = po_services.po_change_propose(
            purchase_order=purchase_order,
            actor=actor,
            base_version=base_version,
            number=number,
            amount=amount,
            valid_from=valid_from,
            valid_to=valid_to,
            reason=reason,
            document=document,
            request=request,
        )
        POChangeFlow.start.run(change=change)
    return change


def po_change_approve(
    *,
    change: PurchaseOrderChange,
    actor: User,
    comment: str = "",
    request: HttpRequest | None = None,
) -> str:
    """Returns the change's status: approved, or conflicted when the PO moved on."""
    return _change_step(
        change=change,
        node=POChangeFlow.review,
        actor=actor,
        action=po_policy.Action.APPROVE,
        call=lambda c: po_services.po_change_approve(
            change=c, actor=actor, comment=comment, request=request
        ),
        request=request,
    )


def po_change_reject(
    *, change: PurchaseOrderChange, actor: User, comment: str, request: HttpRequest | None = None
) -> None:
    _change_step(
        change=change,
        node=POChangeFlow.review,
        actor=actor,
        action=po_policy.Action.REJECT,
        call=lambda c: po_services.po_change_reject(
            change=c, actor=actor, comment=comment, request=request
        ),
        request=request,
    )


def po_change_rebase(
    *, change: PurchaseOrderChange, actor: User, request: HttpRequest | None = None
) -> None:
    _change_step(
        change=change,
        node=POChangeFlow.rebase,
        actor=actor,
        action=po_policy.Action.REBASE,
        call=lambda c: po_services.po_change_rebase(change=c, actor=actor, request=request),
        request=request,
    )


def po_change_withdraw(
    *, change: PurchaseOrderChange, actor: User, request: HttpRequest | None = None
) -> None:
    _change_step(
        change=change,
        node=POChangeFlow.rebase,
        actor=actor,
        action=po_policy.Action.WITHDRAW,
        call=lambda c: po_services.po_change_withdraw(change=c, actor=actor, request=request),
        request=request,
    )
