"""What may happen to a plan, an invoice and a card on file, declared once.

``TRANSITIONS`` is the status table of each object: from-state, action, the right on the account
the actor needs (``SYSTEM`` for the renewal job), to-state. Services assert a row before writing
(``require``); views and templates ask ``allowed_actions`` which buttons to show. Nothing else
compares status strings to decide what may happen.

A plan's state is its stored status, except that an active plan with a change waiting for the
next renewal is ``change_pending``: while it waits, the only change on offer is to withdraw it
(a plan has at most one pending change).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from contacts.permissions import account_permissions

from .models import InvoiceStatus, SubscriptionStatus

if TYPE_CHECKING:
    from contacts.models import Account, User

    from .models import Invoice, PaymentMethod, Subscription

SYSTEM = ""  # the renewal job: no person holds this right
MANAGE = "manage_billing"
CHANGE_PENDING = "change_pending"
DEFAULT = "default"
ON_FILE = "on_file"


class BillingConflict(Exception):
    """The change is not possible now (the plan moved on, the preview is stale, no card…)."""


class Action(StrEnum):
    ADD_SEATS = "add_seats"
    REDUCE_SEATS = "reduce_seats"
    CHANGE_FREQUENCY = "change_frequency"
    UPGRADE_PLAN = "upgrade_plan"
    DOWNGRADE_PLAN = "downgrade_plan"
    WITHDRAW_CHANGE = "withdraw_change"
    CANCEL = "cancel"
    UNDO_CANCEL = "undo_cancel"
    RENEW = "renew"
    END = "end"
    PAY = "pay"
    MAKE_DEFAULT = "make_default"
    REMOVE = "remove"


@dataclass(frozen=True)
class Transition:
    source: str
    action: Action
    right: str
    target: str
    note: str = ""


S = SubscriptionStatus

SUBSCRIPTION_TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.ACTIVE, Action.ADD_SEATS, MANAGE, S.ACTIVE, "at once, prorated charge"),
    Transition(S.ACTIVE, Action.REDUCE_SEATS, MANAGE, CHANGE_PENDING, "at the next renewal"),
    Transition(S.ACTIVE, Action.CHANGE_FREQUENCY, MANAGE, CHANGE_PENDING, "at the next renewal"),
    Transition(S.ACTIVE, Action.UPGRADE_PLAN, MANAGE, S.ACTIVE, "dearer: at once, prorated"),
    Transition(S.ACTIVE, Action.DOWNGRADE_PLAN, MANAGE, CHANGE_PENDING, "not dearer: at renewal"),
    Transition(S.ACTIVE, Action.CANCEL, MANAGE, S.CANCELS_AT_PERIOD_END, "at the end of term"),
    Transition(CHANGE_PENDING, Action.WITHDRAW_CHANGE, MANAGE, S.ACTIVE),
    Transition(CHANGE_PENDING, Action.CANCEL, MANAGE, S.CANCELS_AT_PERIOD_END, "change dropped"),
    Transition(S.CANCELS_AT_PERIOD_END, Action.UNDO_CANCEL, MANAGE, S.ACTIVE),
    Transition(S.ACTIVE, Action.RENEW, SYSTEM, S.ACTIVE, "next period invoiced"),
    Transition(CHANGE_PENDING, Action.RENEW, SYSTEM, S.ACTIVE, "pending change applied"),
    Transition(S.CANCELS_AT_PERIOD_END, Action.END, SYSTEM, S.CANCELLED),
)

INVOICE_TRANSITIONS: tuple[Transition, ...] = (
    Transition(InvoiceStatus.DUE, Action.PAY, MANAGE, InvoiceStatus.PAID, "default card"),
    Transition(InvoiceStatus.DUE, Action.PAY, SYSTEM, InvoiceStatus.PAID, "charged when issued"),
)

PAYMENT_METHOD_TRANSITIONS: tuple[Transition, ...] = (
    Transition(ON_FILE, Action.MAKE_DEFAULT, MANAGE, DEFAULT),
    # The default card cannot be removed: an account keeps one once it has one.
    Transition(ON_FILE, Action.REMOVE, MANAGE, "removed"),
)

TRANSITIONS = SUBSCRIPTION_TRANSITIONS + INVOICE_TRANSITIONS + PAYMENT_METHOD_TRANSITIONS

# Adding a plan or a card is not a move of an existing object; it needs this right.
CREATE_RIGHT = MANAGE


def subscription_state(subscription: Subscription) -> str:
    if subscription.status == S.ACTIVE and subscription.has_pending_change:
        return CHANGE_PENDING
    return subscription.status


def will_renew(subscription: Subscription) -> bool:
    """Does the renewal job renew this plan at the end of its period (rather than end it)?"""
    state = subscription_state(subscription)
    return any(t.source == state and t.action == Action.RENEW for t in SUBSCRIPTION_TRANSITIONS)


def payment_method_state(method: PaymentMethod) -> str:
    return DEFAULT if method.is_default else ON_FILE


def _table_and_state(obj: Subscription | Invoice | PaymentMethod) -> tuple[tuple, str]:
    from .models import Invoice, PaymentMethod, Subscription

    if isinstance(obj, Subscription):
        return SUBSCRIPTION_TRANSITIONS, subscription_state(obj)
    if isinstance(obj, Invoice):
        return INVOICE_TRANSITIONS, obj.status
    assert isinstance(obj, PaymentMethod)
    return PAYMENT_METHOD_TRANSITIONS, payment_method_state(obj)


def allowed_actions(
    user: User, obj: Subscription | Invoice | PaymentMethod, *, perms: frozenset[str] | None = None
) -> frozenset[Action]:
    """The actions ``user`` has on ``obj`` now; ``perms`` (their rights on the account) may be
    passed when the caller already has them."""
    if perms is None:
        perms = account_permissions(user, obj.account)
    table, state = _table_and_state(obj)
    return frozenset(t.action for t in table if t.source == state and t.right and t.right in perms)


def may_create(user: User, account: Account, *, perms: frozenset[str] | None = None) -> bool:
    """May ``user`` add a plan or a card to ``account``?"""
    if perms is None:
        perms = account_permissions(user, account)
    return CREATE_RIGHT in perms


def require_create(actor: User, account: Account) -> None:
    if not may_create(actor, account):
        raise PermissionDenied(f"{CREATE_RIGHT} on {account.number}")


def require(
    actor: User | None, action: Action, obj: Subscription | Invoice | PaymentMethod
) -> Transition:
    """The row that allows ``actor`` (``None``: the renewal job) to do ``action`` to ``obj`` now.
    PermissionDenied for a missing right (checked first), BillingConflict for the state."""
    table, state = _table_and_state(obj)
    rows = [t for t in table if t.action == action]
    if actor is None:
        rows = [t for t in rows if t.right == SYSTEM]
        if not rows:
            raise PermissionDenied(action)
    else:
        perms = account_permissions(actor, obj.account)
        rows = [t for t in rows if t.right and t.right in perms]
        if not rows:
            raise PermissionDenied(f"{action} on {obj.account.number}")
    for row in rows:
        if row.source == state:
            return row
    raise BillingConflict(_refusal(action, state))


def _refusal(action: Action, state: str) -> str:
    if state == CHANGE_PENDING:
        return (
            "A change is already waiting for the next renewal. Withdraw it first; nothing was "
            "changed."
        )
    if state == S.CANCELS_AT_PERIOD_END:
        return "This plan is set to cancel at the end of its term; nothing was changed."
    if state == S.CANCELLED:
        return "This plan is cancelled; nothing was changed."
    if state == InvoiceStatus.PAID:
        return "This invoice is already paid; nothing was charged."
    if state == DEFAULT:
        return "This is the default payment method; add or choose another one first."
    return "This is not possible now; nothing was changed."


def refusal_for(subscription: Subscription) -> str:
    """Why nothing can be changed on ``subscription`` now (for a page that offers nothing)."""
    return _refusal(Action.ADD_SEATS, subscription_state(subscription))
