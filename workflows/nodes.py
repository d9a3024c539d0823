from viewflow.workflow.nodes import View

from contacts.permissions import has_account_permission


class AccountTask(View):
    """A human task offered to everyone holding ``codename`` on the process's account.

    viewflow checks a task's permission when it is assigned only, and through the global
    permission too; this checks the per-account right whenever it is asked, so a contact whose
    access was revoked cannot finish a task offered to them before.
    """

    def __init__(self, codename: str, **kwargs):
        super().__init__(view=None, **kwargs)
        self.codename = codename

    def account_of(self, task):
        return task.process.coerced.quote.account

    def can_assign(self, user, task):
        if task.owner_id or user is None or not user.is_authenticated:
            return False
        return has_account_permission(user, self.codename, self.account_of(task))

    def can_execute(self, user, task):
        if user is None or not user.is_authenticated:
            return False
        if task.owner_id and task.owner_id != user.pk:
            return False
        return has_account_permission(user, self.codename, self.account_of(task))
