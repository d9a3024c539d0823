from viewflow.workflow.models import Task

from contacts.permissions import scoped_to_accounts
from corp_billing.paging import Page, keyset_page

from .flows import QuoteFlow
from .tasks import OPEN

# Each human task, the right it needs on the quote's account, and what the inbox calls it.
TASKS = (
    (QuoteFlow.deal_desk_review, "approve_deal", "Approve or send back"),
    (QuoteFlow.customer_decision, "approve_quote", "Accept, reject or request changes"),
    (QuoteFlow.revise, "draft_quote", "Revise and resubmit"),
)
LABELS = {node: label for node, _, label in TASKS}


INBOX_ORDER = ["created", "id"]


def inbox_tasks(*, user):
    """Exactly the open tasks ``user`` may act on, oldest first, as one query: the ids are a
    UNION of one semi-join per human task (its node, open, on an account where the user holds
    that task's right, by integer keys), so no sub-select is OR-ed with another and each arm
    can use the open-task index. Page it with ``inbox``."""
    if not user.is_authenticated:
        return Task.objects.none()
    arms = [
        scoped_to_accounts(
            Task.objects.filter(flow_task=node, status__in=OPEN),
            user,
            codename,
            field="process__quoteprocess__quote__account",
        )
        .order_by()
        .values("pk")
        for node, codename, _ in TASKS
    ]
    ids = arms[0].union(*arms[1:])
    return (
        Task.objects.filter(pk__in=ids)
        .select_related(
            "process__quoteprocess__quote__account",
            "process__quoteprocess__quote__current_revision",
        )
        .order_by(*INBOX_ORDER)
    )


def inbox(*, user, request=None) -> Page:
    """One page (``corp_billing.paging``) of ``inbox_tasks``; each task carries ``quote`` and
    ``label``."""
    page = keyset_page(inbox_tasks(user=user), ordering=INBOX_ORDER, request=request)
    for task in page.rows:
        task.quote = task.process.quoteprocess.quote
        task.label = LABELS[task.flow_task]
    return page
