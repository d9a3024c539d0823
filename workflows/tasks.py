"""The one way a human step of any flow is carried out.

``run_task`` takes the open task of ``node`` in one process, under ``select_for_update`` on the
process row, checks again that ``actor`` may execute it (the right may have been revoked since the
task was offered), calls the domain service that does the whole business step, and completes the
task so the flow routes on: all in one transaction, or nothing. A lost race is a
``TaskConflict``, which views answer with 409. The quote, PO-change and contact-change flows all
use it as it is.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from contacts.models import User

from .nodes import AccountTask

OPEN = (STATUS.NEW, STATUS.ASSIGNED)
T = TypeVar("T")


class TaskConflict(Exception):
    """Someone else acted on this step first, or is acting on it at this moment."""


def locked_message(what: str) -> str:
    return (
        f"Someone else is acting on this {what} at this moment. Reload the page to see its state "
        "and try again; nothing was changed."
    )


def taken_message(what: str) -> str:
    return f"Someone else has already acted on this step of the {what}; nothing was changed."


def open_task(*, process_pk: int, node: AccountTask) -> Task | None:
    return (
        Task.objects.filter(process_id=process_pk, flow_task=node, status__in=OPEN)
        .select_related("process")
        .order_by("-id")
        .first()
    )


def _complete(task: Task, actor: User | None, request: HttpRequest | None) -> None:
    activation = task.flow_task.activation_class(task)
    if task.status == STATUS.NEW:
        # Task.owner is what the audit of the flow reads: who executed the step.
        activation.assign(actor)
    activation.start(request)
    activation.execute()


def run_task(
    *,
    node: AccountTask,
    process_pk: int,
    actor: User | None,
    step: Callable[[], T],
    what: str,
    right: str | None = None,
    request: HttpRequest | None = None,
) -> T:
    """Executes the open ``node`` task of process ``process_pk`` as ``actor`` (``None`` for the
    clock): ``step()`` is the domain service call; its result is returned.

    ``right`` overrides the node's own right for a step taken on someone else's task (a
    representative withdrawing a quote ends the customer's decision task)."""
    flow_class = node.flow_class
    try:
        # The lock is the transaction: viewflow's select_for_update lock opens it and must be the
        # outermost one, since it retries a NOWAIT failure inside its own atomic block.
        with flow_class.lock(process_pk):
            task = open_task(process_pk=process_pk, node=node)
            if task is None:
                raise TaskConflict(taken_message(what))
            if actor is not None and not node.can_execute(actor, task, right=right):
                raise PermissionDenied("not allowed to execute this task")
            result = step()
            _complete(task, actor, request)
            return result
    except FlowLockFailed:
        raise TaskConflict(locked_message(what)) from None
