from typing import Any

from viewflow.workflow.models import Task
from viewflow.workflow.nodes import View

from contacts.models import Account
from contacts.permissions import has_account_permission


class AccountTask(View):
    """A human task offered to everyone holding ``codename`` on the process's account.

    viewflow checks a task's permission when it is assigned only, and through the global
    permission too; this checks the per-account right whenever it is asked, so a contact whose
    access was revoked cannot finish a task offered to them before. Every process model of ours
    has an ``account`` property, so the node works for every flow.
    """

    def __init__(self, codename: str, **kwargs: Any) -> None:
        super().__init__(view=None, **kwargs)
        self.codename = codename

    def account_of(self, task: Task) -> Account:
        return task.process.coerced.account

    def can_assign(self, user: Any, task: Task) -> bool:
        if task.owner_id or user is None or not user.is_authenticated:
            return False
        return has_account_permission(user, self.codename, self.account_of(task))

    def can_execute(self, user: Any, task: Task, right: str | None = None) -> bool:
        if user is None or not user.is_authenticated:
            return False
        if task.owner_id and task.owner_id != user.pk:
            return False
        return has_account_permission(user, right or self.codename, self.account_of(task))
