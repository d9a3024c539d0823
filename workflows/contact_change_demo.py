"""Demo billing-contact changes: on Acme, one addition waiting for the representative (so that
rep.alice finds it in My tasks and ap@acme.example sees it pending) and one declined change in
its history. The demo people and accounts come from ``contacts.demo``."""

from collections.abc import Callable

from django.db import transaction

from contacts import services as contact_services
from contacts.changes import Action
from contacts.models import Account, ContactChange, ContactChangeKind, User

from . import services as flow_services
from .flows import ContactChangeFlow

ACCOUNT = "OV-1002345"
PROPOSER = "ap@acme.example"
REPRESENTATIVE = "rep.alice"
DECLINED_TARGET = "acme.controller"
PENDING_LOGIN = "acme.purchasing"


def _start(change: ContactChange) -> ContactChange:
    ContactChangeFlow.start.run(change=change)
    return change


@transaction.atomic
def load(progress: Callable[[str], object] = print) -> int:
    """Creates the demo changes unless the account has contact changes already; returns how
    many it created. The seed acts for the demo people, so no password is re-entered."""
    account = Account.objects.filter(number=ACCOUNT).first()
    if account is None:
        progress(f"  contact changes: account {ACCOUNT} missing, skipped")
        return 0
    if ContactChange.objects.filter(account=account).exists():
        progress(f"  contact changes on {ACCOUNT}: exist")
        return 0
    proposer = User.objects.by_login_id(PROPOSER).get()
    rep = User.objects.by_login_id(REPRESENTATIVE).get()
    declined = _start(
        contact_services.contact_change_propose(
            account=account,
            actor=proposer,
            kind=ContactChangeKind.MAKE_PRIMARY,
            target_id=User.objects.by_login_id(DECLINED_TARGET).get().pk,
        )
    )
    flow_services.contact_change_decide(
        change=declined,
        actor=rep,
        action=Action.DECLINE,
        comment="Ann stays primary until the new AP process starts in January.",
    )
    _start(
        contact_services.contact_change_propose(
            account=account,
            actor=proposer,
            kind=ContactChangeKind.ADD,
            first_name="Pat",
            last_name="Lee",
            email="purchasing@acme.example",
            login_id=PENDING_LOGIN,
        )
    )
    progress(f"  contact changes on {ACCOUNT}: one declined, one adding {PENDING_LOGIN} pending")
    return 2
