from django.db.models import Q
from viewflow.workflow.models import Task

from contacts.permissions import accounts_with_permission

from .flows import QuoteFlow
from .tasks import OPEN

# Each human task, the right it needs on the quote's account, and what the inbox calls it.
TASKS = (
    (QuoteFlow.deal_desk_review, "approve_deal", "Approve or send back"),
    (QuoteFlow.customer_decision, "approve_quote", "Accept, reject or request changes"),
    (QuoteFlow.revise, "draft_quote", "Revise and resubmit"),
)
LABELS = {node: label for node, _, label in TASKS}


def inbox(*, user) -> list[Task]:
    """Exactly the open tasks ``user`` may act on, in one query whatever their number or the
    user's grants (each right becomes a sub-select of accounts)."""
    if not user.is_authenticated:
        return []
    condition = Q()
    for node, codename, _ in TASKS:
        condition |= Q(
            flow_task=node,
            process__quoteprocess__quote__account__in=accounts_with_permission(user, codename),
        )
    tasks = list(
        Task.objects.filter(condition, status__in=OPEN)
        .select_related(
            "process__quoteprocess__quote__account",
            "process__quoteprocess__quote__current_revision",
        )
        .order_by("created", "id")
    )
    for task in tasks:
        task.quote = task.process.quoteprocess.quote
        task.label = LABELS[task.flow_task]
    return tasks
