from django.db import connection
from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import HttpRequest
from viewflow.workflow.models import Task

from contacts import permissions
from contacts.models import User
from contacts.permissions import has_all_accounts
from corp_billing.paging import PAGE_SIZE, Page, cursor_filter, directed, keyset_page

from .flows import QuoteFlow
from .models import QuoteProcess
from .tasks import OPEN

# Each human task, the right it needs on the quote's account, and what the inbox calls it.
TASKS = (
    (QuoteFlow.deal_desk_review, "approve_deal", "Approve or send back"),
    (QuoteFlow.customer_decision, "approve_quote", "Accept, reject or request changes"),
    (QuoteFlow.revise, "draft_quote", "Revise and resubmit"),
)
LABELS = {node: label for node, _, label in TASKS}


INBOX_ORDER = ["created", "id"]


def inbox_tasks(*, user: User, request: HttpRequest | None = None) -> QuerySet[Task]:
    """Exactly the open tasks ``user`` may act on, oldest first, as one query (after the one
    that reads the user's account ids): the ids are a UNION of one semi-join per human task
    the user may do somewhere (its node, open, on an account where the user holds that task's
    right, by integer keys), so no sub-select is OR-ed with another and each arm reads the
    open-task index in waiting order. Where the database allows it (PostgreSQL),
    each arm is cut to one page at ``request``'s cursor, so only a page's worth of rows per
    arm is ever joined and sorted, however many tasks wait. Page it with ``inbox``."""
    if not user.is_authenticated:
        return Task.objects.none()
    where, backwards = cursor_filter(request, INBOX_ORDER)
    per_arm = connection.features.supports_slicing_ordering_in_compound
    scoped = [codename for _, codename, _ in TASKS if not has_all_accounts(user, codename)]
    account_ids = permissions.account_ids_by_permission(user, scoped)
    arms = []
    for node, codename, _ in TASKS:
        arm = Task.objects.filter(flow_task=node, status__in=OPEN)
        if codename in account_ids:
            if not account_ids[codename]:  # the right on no account: no arm at all
                continue
            # The task's process is on one of the user's accounts: a semi-join by keys (the
            # process row carries its account), so the arm either walks the open-task index in
            # waiting order and stops at a page, or starts from a few accounts' processes.
            on_account = QuoteProcess.objects.filter(
                process_ptr_id=OuterRef("process_id"), account_id__in=account_ids[codename]
            )
            arm = arm.filter(Exists(on_account))
        if per_arm:
            if where is not None:
                arm = arm.filter(where)
            arm = arm.order_by(*directed(INBOX_ORDER, backwards)).values("pk")[: PAGE_SIZE + 1]
        else:
            arm = arm.order_by().values("pk")
        arms.append(arm)
    if not arms:
        return Task.objects.none()
    ids = arms[0].union(*arms[1:]) if len(arms) > 1 else arms[0]
    return Task.objects.filter(pk__in=ids).order_by(*INBOX_ORDER)


# What an inbox row shows, read as plain values by key paths (task → quote process → quote →
# account / current revision): a page of rows is then 51 small dicts, not 51 graphs of five
# models with viewflow's JSON columns.
_QUOTE = "process__quoteprocess__quote__"
INBOX_ROW = {
    "quote_number": F(f"{_QUOTE}number"),
    "quote_title": F(f"{_QUOTE}title"),
    "account_number": F(f"{_QUOTE}account__number"),
    "account_name": F(f"{_QUOTE}account__name"),
    "revision": F(f"{_QUOTE}current_revision__number"),
    "total": F(f"{_QUOTE}current_revision__total"),
    "currency": F(f"{_QUOTE}current_revision__currency"),
}


def _inbox_rows(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.values("id", "flow_task", "created", **INBOX_ROW)


def inbox(*, user: User, request: HttpRequest | None = None) -> Page:
    """One page (``corp_billing.paging``) of ``inbox_tasks``: dicts of ``INBOX_ROW`` plus
    ``id``, ``created`` and ``label`` (what the person is asked to do)."""
    page = keyset_page(
        inbox_tasks(user=user, request=request),
        ordering=INBOX_ORDER,
        request=request,
        rows=_inbox_rows,
    )
    for row in page.rows:
        row["label"] = LABELS[row.pop("flow_task")]
    return page
