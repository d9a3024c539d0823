from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from viewflow.workflow.models import Task

from contacts.models import User
from contacts.permissions import has_all_accounts, scoped_to_accounts
from corp_billing.paging import PAGE_SIZE, Page, cursor_filter, directed, keyset_page

from .flows import POChangeFlow, QuoteFlow
from .models import POChangeProcess, QuoteProcess
from .tasks import OPEN

# Each human task, the right it needs on the process's account, and what the inbox calls it.
TASKS = (
    (QuoteFlow.deal_desk_review, "approve_deal", "Approve or send back"),
    (QuoteFlow.customer_decision, "approve_quote", "Accept, reject or request changes"),
    (QuoteFlow.revise, "draft_quote", "Revise and resubmit"),
    (POChangeFlow.review, "review_po_change", "Approve or reject the PO change"),
    (POChangeFlow.rebase, "propose_po_change", "Re-base or withdraw the PO change"),
)
LABELS = {node: label for node, _, label in TASKS}

# Each flow's process model and the path from it to its account, for scoping the inbox.
PROCESS_SCOPE: dict[Any, tuple[Any, str]] = {
    QuoteFlow: (QuoteProcess, "quote__account"),
    POChangeFlow: (POChangeProcess, "change__purchase_order__account"),
}


INBOX_ORDER = ["created", "id"]


def inbox_tasks(*, user: User, request: HttpRequest | None = None) -> QuerySet[Task]:
    """Exactly the open tasks ``user`` may act on, oldest first, as one query: the ids are a
    UNION of one semi-join per human task (its node, open, on an account where the user holds
    that task's right, by integer keys), so no sub-select is OR-ed with another and each arm
    reads the open-task index in waiting order. Where the database allows it (PostgreSQL),
    each arm is cut to one page at ``request``'s cursor, so only a page's worth of rows per
    arm is ever joined and sorted, however many tasks wait. Page it with ``inbox``."""
    if not user.is_authenticated:
        return Task.objects.none()
    where, backwards = cursor_filter(request, INBOX_ORDER)
    per_arm = connection.features.supports_slicing_ordering_in_compound
    arms = []
    for node, codename, _ in TASKS:
        arm = Task.objects.filter(flow_task=node, status__in=OPEN)
        if not has_all_accounts(user, codename):
            # Processes on the user's accounts: task → process → its object, by keys (no join
            # through viewflow's base process table).
            model, field = PROCESS_SCOPE[node.flow_class]
            processes = scoped_to_accounts(model.objects.all(), user, codename, field=field)
            arm = arm.filter(process_id__in=processes.order_by().values("process_ptr_id"))
        if per_arm:
            if where is not None:
                arm = arm.filter(where)
            arm = arm.order_by(*directed(INBOX_ORDER, backwards)).values("pk")[: PAGE_SIZE + 1]
        else:
            arm = arm.order_by().values("pk")
        arms.append(arm)
    ids = arms[0].union(*arms[1:])
    return Task.objects.filter(pk__in=ids).order_by(*INBOX_ORDER)


def _inbox_rows(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.select_related(
        "process__quoteprocess__quote__account",
        "process__quoteprocess__quote__current_revision",
        "process__pochangeprocess__change__purchase_order__account",
    )


def inbox(*, user: User, request: HttpRequest | None = None) -> Page:
    """One page (``corp_billing.paging``) of ``inbox_tasks``; each task carries ``label`` and
    either ``quote`` or ``po_change`` (its object)."""
    page = keyset_page(
        inbox_tasks(user=user, request=request),
        ordering=INBOX_ORDER,
        request=request,
        rows=_inbox_rows,
    )
    for task in page.rows:
        task.label = LABELS[task.flow_task]
        task.quote = None
        task.po_change = None
        if task.flow_task.flow_class is POChangeFlow:
            task.po_change = task.process.pochangeprocess.change
        else:
            task.quote = task.process.quoteprocess.quote
    return page
