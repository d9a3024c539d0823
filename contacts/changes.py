"""What may happen to a billing-contact change, declared once.

``TRANSITIONS`` is the status table: from-status, action, the right on the change's account the
actor needs, to-status. A proposal starts from ``NEW`` (no row yet). Services assert a row before
writing (``require``); views and templates ask ``allowed_actions`` which forms to show. Nothing
else compares status strings to decide what may happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from .models import ContactChangeStatus
from .permissions import account_permissions

if TYPE_CHECKING:
    from .models import Account, ContactChange, User

S = ContactChangeStatus
NEW = ""  # before the change exists


class ContactChangeConflict(Exception):
    """The change moved on since the page was shown (someone else decided it first)."""


class Action(StrEnum):
    PROPOSE = "propose"
    CONFIRM = "confirm"
    DECLINE = "decline"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Transition:
    source: str
    action: Action
    right: str
    target: str


TRANSITIONS: tuple[Transition, ...] = (
    Transition(NEW, Action.PROPOSE, "manage_billing_contacts", S.PENDING),
    Transition(S.PENDING, Action.CONFIRM, "review_contact_change", S.CONFIRMED),
    Transition(S.PENDING, Action.DECLINE, "review_contact_change", S.DECLINED),
    # Any billing contact of the account may take back a proposal the representative has not
    # decided yet (the proposer may have left; the others speak for the account too).
    Transition(S.PENDING, Action.WITHDRAW, "manage_billing_contacts", S.WITHDRAWN),
)

# The right each action needs, whatever the status: checked before the state, so that someone
# without it learns nothing about where the change is.
RIGHTS: dict[Action, str] = {t.action: t.right for t in TRANSITIONS}


def allowed_actions(
    user: User, change: ContactChange, *, perms: frozenset[str] | None = None
) -> frozenset[Action]:
    """The actions ``user`` has on ``change`` now. ``perms`` (their rights on the account) may
    be passed when the caller already has them: then this asks the database nothing."""
    if perms is None:
        perms = account_permissions(user, change.account)
    return frozenset(
        t.action for t in TRANSITIONS if t.source == change.status and t.right in perms
    )


def may_propose(perms: frozenset[str]) -> bool:
    return RIGHTS[Action.PROPOSE] in perms


def require_right(actor: User, action: Action, account: Account) -> None:
    """PermissionDenied (shown as the same 404 as a missing change) unless ``actor`` holds the
    action's right on ``account``."""
    if RIGHTS[action] not in account_permissions(actor, account):
        raise PermissionDenied(f"{action} on {account.number}")


def require(actor: User, action: Action, change: ContactChange) -> Transition:
    """The row that allows ``actor`` to do ``action`` to ``change`` now, or the reason not:
    PermissionDenied for a missing right (checked first), ContactChangeConflict for the state."""
    require_right(actor, action, change.account)
    rows = [t for t in TRANSITIONS if t.source == change.status and t.action == action]
    if not rows:
        label = S(change.status).label.lower()
        raise ContactChangeConflict(
            f"This contact change was already {label}; nothing was changed."
        )
    return rows[0]
