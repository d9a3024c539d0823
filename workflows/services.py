"""Moves quote processes on. Every step runs under the process's row lock: the task is re-read,
the actor's right on the account is checked again at execution, the domain service runs, and the
task completes, all in one transaction, or nothing happens."""

from contextlib import contextmanager
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from contacts.permissions import has_account_permission
from quotes import services as quote_services
from quotes.models import Quote, QuoteRevision, RevisionStatus
from quotes.services import QuoteConflict

from .flows import QuoteFlow, current_actor, current_request
from .models import QuoteProcess

OPEN = (STATUS.NEW, STATUS.ASSIGNED)
LOCKED_MESSAGE = (
    "Someone else is acting on this quote at this moment. Reload the page to see its state "
    "and try again; nothing was changed."
)
TAKEN_MESSAGE = "Someone else has already acted on this step of the quote; nothing was changed."


@contextmanager
def _acting_as(actor, request):
    actor_token, request_token = current_actor.set(actor), current_request.set(request)
    try:
        yield
    finally:
        current_actor.reset(actor_token)
        current_request.reset(request_token)


def pending_task(quote: Quote, node) -> Task | None:
    return (
        Task.objects.filter(process__quoteprocess__quote=quote, flow_task=node, status__in=OPEN)
        .select_related("process")
        .order_by("-id")
        .first()
    )


def _complete(task: Task, actor, request) -> None:
    activation = task.flow_task.activation_class(task)
    if task.status == STATUS.NEW:
        activation.assign(actor)
    activation.start(request)
    activation.execute()


def _run_task(*, quote: Quote, node, actor, step, request=None) -> None:
    """Executes ``node``'s open task of ``quote`` as ``actor``: ``step()`` changes the domain,
    then the flow moves on. Raises QuoteConflict when the task is gone or locked."""
    task = pending_task(quote, node)
    if task is None:
        raise QuoteConflict(TAKEN_MESSAGE)
    try:
        with QuoteFlow.lock(task.process_id), _acting_as(actor, request):
            task = Task.objects.select_related("process").get(pk=task.pk)
            if task.status not in OPEN:
                raise QuoteConflict(TAKEN_MESSAGE)
            if actor is not None and not node.can_execute(actor, task):
                raise PermissionDenied("not allowed to execute this task")
            step()
            _complete(task, actor, request)
    except FlowLockFailed:
        raise QuoteConflict(LOCKED_MESSAGE) from None


def _current(quote: Quote) -> QuoteRevision:
    quote.refresh_from_db(fields=["current_revision"])
    return QuoteRevision.objects.select_related("quote__account").get(pk=quote.current_revision_id)


def quote_submit(*, quote: Quote, actor, request=None) -> None:
    """The representative hands the current draft on: to deal desk when a rule fires, else
    straight to the customer. Starts a process, or finishes the open 'revise' task."""
    if not has_account_permission(actor, "draft_quote", quote.account):
        raise PermissionDenied("draft_quote")
    if pending_task(quote, QuoteFlow.revise) is not None:
        _run_task(
            quote=quote,
            node=QuoteFlow.revise,
            actor=actor,
            step=lambda: quote_services.revision_submit(
                revision=_current(quote), actor=actor, request=request
            ),
            request=request,
        )
        return
    if QuoteProcess.objects.filter(quote=quote, status=PROCESS.NEW).exists():
        raise QuoteConflict("This quote is already on its way; nothing was changed.")
    with transaction.atomic(), _acting_as(actor, request):
        QuoteFlow.start.run(quote=_current(quote).quote, actor=actor, request=request)


def quote_review(*, quote: Quote, actor, approve: bool, comment: str, request=None) -> None:
    """Deal desk approves (the quote goes to the customer) or sends it back with a comment."""

    def step():
        revision = _current(quote)
        if approve:
            quote_services.revision_approve(
                revision=revision, actor=actor, comment=comment, request=request
            )
        else:
            quote_services.revision_send_back(
                revision=revision, actor=actor, comment=comment, request=request
            )

    _run_task(quote=quote, node=QuoteFlow.deal_desk_review, actor=actor, step=step, request=request)


ACCEPT, REJECT, REQUEST_CHANGES = "accept", "reject", "request_changes"


def quote_decide(
    *, quote: Quote, actor, decision: str, comment: str = "", po_number: str = "", request=None
) -> None:
    """A billing contact accepts, rejects with a reason, or requests changes."""
    revision = _current(quote)
    if revision.status == RevisionStatus.SENT and quote_services.revision_is_expired(revision):
        # It ran out before the nightly job: end it now, then say so.
        quote_expire(quote=quote)
        revision.refresh_from_db()

    def step():
        current = _current(quote)
        if decision == ACCEPT:
            quote_services.revision_accept(
                revision=current, actor=actor, po_number=po_number, request=request
            )
        elif decision == REJECT:
            quote_services.revision_reject(
                revision=current, actor=actor, reason=comment, request=request
            )
        elif decision == REQUEST_CHANGES:
            quote_services.revision_request_changes(
                revision=current, actor=actor, comment=comment, request=request
            )
        else:
            raise ValueError(decision)

    if pending_task(quote, QuoteFlow.customer_decision) is None:
        # Nothing to decide: let the domain say precisely why (expired, superseded, decided).
        quote_services.revision_require_decidable(_current(quote))
        raise QuoteConflict(TAKEN_MESSAGE)
    _run_task(
        quote=quote, node=QuoteFlow.customer_decision, actor=actor, step=step, request=request
    )


def quote_expire(*, quote: Quote, now: datetime | None = None) -> bool:
    """Ends a sent revision whose validity date has passed, and its process. Idempotent.
    ``now`` defaults to the real clock."""
    revision = _current(quote)
    if revision.status != RevisionStatus.SENT or not quote_services.revision_is_expired(
        revision, now
    ):
        return False
    expired = []

    def step():
        expired.append(quote_services.revision_expire(revision=_current(quote), now=now))

    try:
        _run_task(quote=quote, node=QuoteFlow.customer_decision, actor=None, step=step)
    except QuoteConflict:
        return False
    return bool(expired and expired[0])
