"""What may happen to a purchase order and to a proposed change of one, declared once.

Two status tables (from-status, action, the right on the PO's account the actor needs, to-status):
``PO_TRANSITIONS`` for the PO, ``CHANGE_TRANSITIONS`` for a change. Services assert a row before
writing (``require_po`` / ``require_change``); views and templates ask ``po_actions`` and
``change_actions`` which buttons to show. Nothing else compares status strings to decide.

A stored-active PO whose validity has ended is expired (``effective_status``), even before
anyone records it: drawing on it is refused on the day after ``valid_to``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from contacts.permissions import account_permissions
from corp_billing.times import zone_name

from .models import ChangeStatus, POStatus

if TYPE_CHECKING:
    from contacts.models import Account, User

    from .models import PurchaseOrder, PurchaseOrderChange

P = POStatus
C = ChangeStatus

# Who may read the ledger of an account: its billing contacts and those who review changes
# (the account's representatives, finance). Deal desk and members see no PO.
READ_RIGHTS = ("propose_po_change", "review_po_change")

# The ledger's flags.
EXPIRY_WARNING_DAYS = 30
NEARLY_USED_PERCENT = 90


class POConflict(Exception):
    """The PO or the change moved on since the page was shown."""


class Action(StrEnum):
    CREATE = "create"
    DRAW = "draw"  # an accepted quote charged to the PO
    PROPOSE_CHANGE = "propose_change"
    APPROVE = "approve"
    REJECT = "reject"
    REBASE = "rebase"
    WITHDRAW = "withdraw"
    CLOSE = "close"  # the customer is done with the PO: nothing more is drawn on it


@dataclass(frozen=True)
class Transition:
    source: str
    action: Action
    right: str
    target: str
    note: str = ""


PO_TRANSITIONS: tuple[Transition, ...] = (
    Transition("", Action.CREATE, "propose_po_change", P.ACTIVE, "a new PO"),
    Transition(P.ACTIVE, Action.DRAW, "approve_quote", P.ACTIVE),
    Transition(P.ACTIVE, Action.PROPOSE_CHANGE, "propose_po_change", P.ACTIVE),
    # An expired PO may be extended by a change; a closed one is finished.
    Transition(P.EXPIRED, Action.PROPOSE_CHANGE, "propose_po_change", P.EXPIRED),
    # A billing contact closes a PO they are done with (used up elsewhere, cancelled by their
    # purchasing): no review, since closing only takes away; what was drawn stays drawn.
    Transition(P.ACTIVE, Action.CLOSE, "propose_po_change", P.CLOSED),
    Transition(P.EXPIRED, Action.CLOSE, "propose_po_change", P.CLOSED),
)

CHANGE_TRANSITIONS: tuple[Transition, ...] = (
    Transition(C.PENDING, Action.APPROVE, "review_po_change", C.APPROVED, "if still at base"),
    Transition(C.PENDING, Action.APPROVE, "review_po_change", C.CONFLICTED, "the PO moved on"),
    Transition(C.PENDING, Action.REJECT, "review_po_change", C.REJECTED),
    Transition(C.CONFLICTED, Action.REBASE, "propose_po_change", C.PENDING, "same values"),
    Transition(C.CONFLICTED, Action.WITHDRAW, "propose_po_change", C.WITHDRAWN),
)

RIGHTS: dict[Action, str] = {t.action: t.right for t in (*PO_TRANSITIONS, *CHANGE_TRANSITIONS)}


def today_for(account: Account) -> date:
    """The date in the account's time zone: a PO is valid through the end of ``valid_to``
    where the customer is."""
    return timezone.now().astimezone(ZoneInfo(account.time_zone)).date()


def effective_status(po: PurchaseOrder, today: date | None = None) -> str:
    if po.status == P.ACTIVE and (today or today_for(po.account)) > po.valid_to:
        return P.EXPIRED
    return po.status


def _rows(table: tuple[Transition, ...], status: str, action: Action) -> list[Transition]:
    return [t for t in table if t.source == status and t.action == action]


def po_actions(
    user: User, po: PurchaseOrder, *, perms: frozenset[str] | None = None
) -> frozenset[Action]:
    if perms is None:
        perms = account_permissions(user, po.account)
    status = effective_status(po)
    return frozenset(t.action for t in PO_TRANSITIONS if t.source == status and t.right in perms)


def change_actions(
    user: User, change: PurchaseOrderChange, *, perms: frozenset[str]
) -> frozenset[Action]:
    """The actions ``user`` has on ``change``. Any billing contact of the account may re-base or
    withdraw a change in conflict, not only its proposer: whoever is there can settle it."""
    return frozenset(
        t.action for t in CHANGE_TRANSITIONS if t.source == change.status and t.right in perms
    )


def awaits_rebase(change: PurchaseOrderChange) -> bool:
    """The change could not be applied (its PO moved on) and waits for a billing contact."""
    return any(t.source == change.status and t.action == Action.REBASE for t in CHANGE_TRANSITIONS)


def may_create(perms: frozenset[str]) -> bool:
    return RIGHTS[Action.CREATE] in perms


def require_right(actor: User, action: Action, account: Account) -> frozenset[str]:
    """PermissionDenied (shown as the same 404 as a missing page) unless ``actor`` holds the
    action's right on ``account``; returns their rights there."""
    perms = account_permissions(actor, account)
    if RIGHTS[action] not in perms:
        raise PermissionDenied(f"{action} on {account.number}")
    return perms


def require_po(actor: User, action: Action, po: PurchaseOrder) -> Transition:
    require_right(actor, action, po.account)
    status = effective_status(po)
    rows = _rows(PO_TRANSITIONS, status, action)
    if not rows:
        label = P(status).label.lower()
        if action == Action.DRAW:
            raise POConflict(
                f"Purchase order {po.number} is {label}"
                + (
                    f" (valid until the end of {po.valid_to:%d %B %Y}, {zone_name(po.account)})"
                    if status == P.EXPIRED
                    else ""
                )
                + ": choose another one or enter a new one."
            )
        raise POConflict(f"Purchase order {po.number} is {label}; nothing was changed.")
    return rows[0]


def require_change(
    actor: User, action: Action, change: PurchaseOrderChange, *, to: str | None = None
) -> Transition:
    require_right(actor, action, change.purchase_order.account)
    rows = [
        t for t in _rows(CHANGE_TRANSITIONS, change.status, action) if to is None or t.target == to
    ]
    if not rows:
        label = C(change.status).label.lower()
        raise POConflict(f"This change is already {label}; nothing was changed.")
    return rows[0]
